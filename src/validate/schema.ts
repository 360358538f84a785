import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate as generatedValidator } from './schema-validator.generated.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Code } from '../diagnostics/codes.js';
import { locate, valueAt, type Document, type PathSegment } from '../parse/document.js';
import { didYouMean } from './suggest.js';

/** ajv's code for the schema, generated ahead of time (scripts/gen-validator.mjs) so no start pays for compiling it. */
const validate = generatedValidator as unknown as ValidateFunction;

/** Validates a document against the JSON Schema and turns ajv's errors into one human diagnostic each. */
export function checkSchema(doc: Document): Diagnostic[] {
  if (validate(doc.value)) return [];
  // ajv reports a bad property name twice: as the pattern failure (which names the key) and as propertyNames.
  const errors = collapseAlternatives((validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames'));
  const seen = new Set<string>();
  return errors.flatMap((e) => {
    const diagnostic = toDiagnostic(doc, e);
    const key = `${diagnostic.code}:${diagnostic.location?.start.offset}:${diagnostic.message}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [diagnostic];
  });
}

/**
 * With anyOf/oneOf ajv reports every branch's failure. When a branch got past the shape of the value (its
 * errors are deeper), those are the useful ones; otherwise the value had the wrong shape for every branch,
 * which is one problem, not one per branch.
 */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  let remaining = errors;
  const alternatives = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const alternative of alternatives) {
    const prefix = `${alternative.schemaPath}/`;
    const branches = remaining.filter((e) => e.schemaPath.startsWith(prefix));
    const rest = remaining.filter((e) => e !== alternative && !e.schemaPath.startsWith(prefix));
    const deeper = branches.filter((e) => e.instancePath.length > alternative.instancePath.length);
    remaining = deeper.length > 0 ? [...rest, ...deepestBranch(deeper, prefix)] : [...rest, summarize(alternative, branches)];
  }
  return remaining;
}

function deepestBranch(errors: ErrorObject[], prefix: string): ErrorObject[] {
  const branch = (e: ErrorObject) => e.schemaPath.slice(prefix.length).split('/')[0];
  const best = errors.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
  return errors.filter((e) => branch(e) === branch(best));
}

function summarize(alternative: ErrorObject, branches: ErrorObject[]): ErrorObject {
  const required = branches.filter((e) => e.keyword === 'required').map((e) => String(e.params.missingProperty));
  if (required.length === branches.length && required.length > 0) {
    return { ...alternative, keyword: 'x-one-of-required', params: { names: required } };
  }
  const types = branches.flatMap((e) => (e.keyword === 'type' ? String(e.params.type).split(',') : []));
  return { ...alternative, keyword: 'type', params: { type: [...new Set(types)].join(',') } };
}

function toDiagnostic(doc: Document, e: ErrorObject): Diagnostic {
  const path = pointerSegments(e.instancePath);
  const subject = describePath(path);
  const value = locate(doc, path);
  const problem = (code: Code, message: string, at = value, hint?: string) => error(code, message, at, hint);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const where = path.length === 0 ? '' : ` in ${subject}`;
      return problem('DAG010', `unknown key \`${key}\`${where}${didYouMean(key, known)}`, locate(doc, [...path, key], 'key'), known.length > 0 ? `known keys: ${known.join(', ')}` : undefined);
    }
    case 'required':
      return problem('DAG011', `${subject} is missing \`${String(params.missingProperty)}\``, locate(doc, path, 'key'));
    case 'x-one-of-required': {
      const names = (params.names as string[]).map((n) => `\`${n}\``).join(' or ');
      return problem('DAG017', `${subject} needs ${names}`, locate(doc, path, 'key'), '`run` is a shell script; `args` is a command and its arguments, run without a shell');
    }
    case 'not':
      return problem('DAG017', `${subject} has both \`run\` and \`args\`; keep one`, locate(doc, path, 'key'));
    case 'type':
      return problem('DAG012', `${subject} must be ${listTypes(String(params.type))}, not ${typeName(valueAt(doc.value, path))}`);
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        const written = JSON.stringify(valueAt(doc.value, path));
        return problem('DAG018', `unsupported version ${written}; this Dagline reads \`version: ${String(params.allowedValue)}\` (a number)`);
      }
      return problem('DAG013', `${subject} must be ${JSON.stringify(params.allowedValue)}`);
    case 'enum':
      return problem('DAG013', `${subject} must be one of ${(params.allowedValues as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}, not \`${String(valueAt(doc.value, path))}\``);
    case 'pattern':
      return patternDiagnostic(doc, e, path, subject);
    default: {
      const range = rangeMessage(e, subject, valueAt(doc.value, path));
      return range === undefined ? problem('DAG013', `${subject} ${e.message ?? 'is not valid'}`) : problem('DAG016', range);
    }
  }
}

function rangeMessage(e: ErrorObject, subject: string, value: unknown): string | undefined {
  const limit = (e.params as { limit?: number }).limit;
  switch (e.keyword) {
    case 'minimum':
      return `${subject} must be at least ${limit}, not ${String(value)}`;
    case 'maximum':
      return `${subject} must be at most ${limit}, not ${String(value)}`;
    case 'minItems':
      return `${subject} needs at least ${limit} item${limit === 1 ? '' : 's'}`;
    case 'minProperties':
      return `${subject} needs at least ${limit} entr${limit === 1 ? 'y' : 'ies'}`;
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      return `${subject} lists \`${String((value as unknown[])[i])}\` twice (items ${j + 1} and ${i + 1})`;
    }
    default:
      return undefined;
  }
}

const PATTERNS: Readonly<Record<string, { code: Code; what: string; hint: string }>> = {
  duration: { code: 'DAG015', what: 'duration', hint: 'write a duration like `30s`, `10m`, `2h`, `1h30m`, `500ms`, or a number of seconds' },
  taskName: { code: 'DAG014', what: 'task name', hint: 'a task name starts with a letter or `_` and holds letters, digits, `_` and `-`' },
  pipelineName: { code: 'DAG014', what: 'pipeline name', hint: 'a pipeline name is lower-case letters, digits, `_`, `.` and `-`' },
  date: { code: 'DAG019', what: 'date', hint: 'write a date as YYYY-MM-DD' },
  envName: { code: 'DAG014', what: 'environment variable name', hint: 'a name starts with a letter or `_` and holds letters, digits and `_`' },
};

function patternDiagnostic(doc: Document, e: ErrorObject, path: PathSegment[], subject: string): Diagnostic {
  const def = /\$defs\/([^/]+)\/(?:[^/]*\/)*pattern$/.exec(e.schemaPath)?.[1] ?? (e.schemaPath.endsWith('/needs/pattern') ? 'taskName' : '');
  const name = e.propertyName;
  const kind = PATTERNS[def] ?? (name === undefined ? { code: 'DAG013' as Code, what: 'value', hint: describePattern(String(e.params.pattern)) } : { code: 'DAG014' as Code, what: 'name', hint: describePattern(String(e.params.pattern)) });
  if (name !== undefined) {
    return error(kind.code, `invalid ${kind.what} \`${name}\` in ${subject}`, locate(doc, [...path, name], 'key'), kind.hint);
  }
  return error(kind.code, `invalid ${kind.what} \`${String(valueAt(doc.value, path))}\` for ${subject}`, locate(doc, path), kind.hint);
}

/** The schema's patterns, in words. */
function describePattern(pattern: string): string {
  if (pattern === '^[A-Za-z_][A-Za-z0-9_-]*$') return 'a name starts with a letter or `_` and holds letters, digits, `_` and `-`';
  if (pattern === '^timeout$') return 'use an exit code from 1 to 255, or `timeout`';
  return `it must match the pattern ${pattern}`;
}

export function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** "task `train`", "`retries.delay` of task `train`", "`schedule.cron`", "the pipeline". */
export function describePath(path: readonly PathSegment[]): string {
  const dotted = (segments: readonly PathSegment[]) =>
    segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  if (path.length === 0) return 'the pipeline';
  if (path[0] === 'tasks' && path.length >= 2) {
    const task = `task \`${String(path[1])}\``;
    return path.length === 2 ? task : `\`${dotted(path.slice(2))}\` of ${task}`;
  }
  return `\`${dotted(path)}\``;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value} (\`${String(value)}\`)`;
}

function listTypes(types: string): string {
  const words: Record<string, string> = { array: 'a list', object: 'a mapping', integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false', null: 'empty' };
  const list = types.split(',').map((t) => words[t] ?? t);
  return list.length === 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}
