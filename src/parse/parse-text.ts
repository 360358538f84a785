import YAML, { LineCounter } from 'yaml';
import { error, type Diagnostic, type Location } from '../diagnostics/diagnostic.js';
import { fail, ok, type Result } from '../result.js';
import { locationAt, type Document } from './document.js';
import { maskExpressions, unmaskValue } from './expression-mask.js';

/** More aliases than this in one file is treated as an alias bomb ("billion laughs"). */
export const MAX_ALIASES = 100;

/** Parses one pipeline file's text. Pure: no I/O. */
export function parseText(file: string, path: string, text: string): Result<Document, Diagnostic[]> {
  const lines = new LineCounter();
  const yaml = parseYaml(maskExpressions(text), lines);
  const at = (offset: number) => locationAt({ file, lines }, offset);
  if (yaml instanceof RangeError) {
    return fail([error('DAG008', 'the YAML is nested too deeply to read', at(0), 'flatten the structure')]);
  }
  // Only the first syntax error: the parser's later ones are mostly echoes of it.
  const [first] = yaml.errors;
  if (first !== undefined) return fail([yamlDiagnostic(first, text, at(Math.min(first.pos[0], endOfContent(text))), at(0))]);

  const data = toPlainData(yaml);
  if (data instanceof Error && !(data instanceof ReferenceError)) {
    const message = `YAML error: ${data.message}`;
    return fail([error('DAG001', message, at(firstMergeKeyOffset(yaml)), 'a merge key `<<` takes a mapping or an alias of one')]);
  }
  if (data instanceof Error) {
    const alias = firstAliasOffset(yaml);
    return fail([
      error(
        'DAG003',
        `too many YAML aliases (more than ${MAX_ALIASES} expanded): this looks like an alias bomb`,
        at(alias),
        'write the values out, or use fewer nested anchors',
      ),
    ]);
  }
  const value = unmaskValue(data);
  if (value === null || value === undefined) {
    return fail([error('DAG005', 'the file is empty; a pipeline is a mapping with `version` and `tasks`', at(0))]);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const start = yaml.contents?.range?.[0] ?? 0;
    return fail([
      error('DAG005', `a pipeline must be a mapping (with \`version\` and \`tasks\`), not ${describe(value)}`, at(start)),
    ]);
  }
  return ok({ file, path, text, yaml, lines, value: value as Record<string, unknown> });
}

function parseYaml(text: string, lineCounter: LineCounter): YAML.Document.Parsed | RangeError {
  try {
    return YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  } catch (e) {
    if (e instanceof RangeError) return e; // call stack exhausted by pathological nesting
    throw e;
  }
}

/** Errors here are about the document (alias bombs, merge keys of non-mappings), not bugs: they become values. */
function toPlainData(yaml: YAML.Document.Parsed): unknown {
  try {
    return yaml.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function yamlDiagnostic(e: YAML.YAMLError, text: string, location: Location, fileStart: Location): Diagnostic {
  if (e.message.includes('Maximum call stack')) {
    // The yaml parser turns the stack overflow of pathological nesting into an ordinary error, at a position
    // that depends on the stack size; the file is the honest location.
    return error('DAG008', 'the YAML is nested too deeply to read', fileStart, 'flatten the structure');
  }
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(e.pos[0]))?.[0].trim() ?? '';
    return error('DAG002', `key \`${key}\` appears twice in the same mapping`, location, 'keep only one of them');
  }
  const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return error('DAG001', `YAML syntax error: ${unmaskValue(message) as string}`, location);
}

/** Errors found at end of input (an unclosed bracket) read better on the last line that holds something. */
function endOfContent(text: string): number {
  return text.trimEnd().length;
}

function firstMergeKeyOffset(yaml: YAML.Document.Parsed): number {
  let offset = 0;
  YAML.visit(yaml, {
    Pair(_, pair) {
      if (!YAML.isScalar(pair.key) || pair.key.source !== '<<') return undefined;
      offset = pair.key.range?.[0] ?? 0;
      return YAML.visit.BREAK;
    },
  });
  return offset;
}

function firstAliasOffset(yaml: YAML.Document.Parsed): number {
  let offset = 0;
  YAML.visit(yaml, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return YAML.visit.BREAK;
    },
  });
  return offset;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
