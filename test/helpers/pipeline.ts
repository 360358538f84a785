import type { CompileOptions } from '../../src/compile/compile.js';
import type { Graph } from '../../src/compile/graph.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Document } from '../../src/parse/document.js';
import { parseText } from '../../src/parse/parse-text.js';
import { validatePipeline } from '../../src/validate/validate.js';

export const ROOT = '/repo';

/** Parses pipeline text as if it were /repo/pipelines/p.yml. */
export function doc(text: string, file = 'pipelines/p.yml'): Document {
  const parsed = parseText(file, `${ROOT}/${file}`, text);
  if (!parsed.ok) throw new Error(`fixture does not parse: ${parsed.error.map((d) => d.message).join('; ')}`);
  return parsed.value;
}

export function options(overrides: Partial<CompileOptions> = {}): CompileOptions {
  return { date: '2024-03-01', root: ROOT, readFile: () => undefined, ...overrides };
}

export function compiled(text: string, overrides: Partial<CompileOptions> = {}): Graph {
  const result = validatePipeline(doc(text), options(overrides));
  if (!result.ok) throw new Error(result.error.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.value;
}

/** Compact "CODE line:col" summaries of the diagnostics for a pipeline that must fail. */
export function problems(text: string, overrides: Partial<CompileOptions> = {}): Diagnostic[] {
  const result = validatePipeline(doc(text), options(overrides));
  if (result.ok) throw new Error('expected diagnostics, got a graph');
  return result.error;
}

export const brief = (d: Diagnostic) => `${d.code} ${d.location?.start.line}:${d.location?.start.col}`;
