import type { Diagnostic, Location } from '../diagnostics/diagnostic.js';
import type { Colors } from './colors.js';
import { escapeData, escapeProperty } from './workflow-commands.js';

/** File contents by display path, for code frames. */
export type Sources = ReadonlyMap<string, string>;

const CONTEXT_LINES = 1;

/** `file:line:col: error DAG012: message`, a code frame, and the hint. */
export function formatDiagnostic(d: Diagnostic, sources: Sources, c: Colors): string {
  const where = d.location ? `${d.location.file}:${d.location.start.line}:${d.location.start.col}: ` : '';
  const severity = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const lines = [`${c.bold(where)}${severity} ${c.dim(d.code)}: ${d.message}`];
  const text = d.location ? sources.get(d.location.file) : undefined;
  if (d.location && text !== undefined) lines.push(codeFrame(text, d.location, c));
  if (d.hint) lines.push(`  ${c.cyan('hint')}: ${d.hint}`);
  return lines.join('\n');
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: Sources, c: Colors): string {
  if (diagnostics.length === 0) return '';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const files = new Set(diagnostics.map((d) => d.location?.file).filter(Boolean)).size;
  const summary = `${errors} error${errors === 1 ? '' : 's'}${files > 1 ? ` in ${files} files` : ''}`;
  return `${diagnostics.map((d) => formatDiagnostic(d, sources, c)).join('\n\n')}\n\n${c.red(summary)}\n`;
}

function codeFrame(text: string, at: Location, c: Colors): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, at.start.line - CONTEXT_LINES);
  const last = Math.min(lines.length, at.start.line + CONTEXT_LINES);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const line = (lines[n - 1] ?? '').replaceAll('\t', ' ');
    const marker = n === at.start.line ? c.red('>') : ' ';
    out.push(`${marker} ${c.dim(`${String(n).padStart(width)} |`)} ${line}`);
    if (n === at.start.line) out.push(`  ${' '.repeat(width)} ${c.dim('|')} ${' '.repeat(at.start.col - 1)}${c.red('^'.repeat(underline(at, line)))}`);
  }
  return out.join('\n');
}

function underline(at: Location, line: string): number {
  if (at.end.offset <= at.start.offset) return 1; // a point, such as a column inside an expression
  const sameLine = at.end.line === at.start.line;
  const length = sameLine ? at.end.col - at.start.col : line.length - at.start.col + 1;
  return Math.max(1, Math.min(length, 80));
}

/** GitHub Actions workflow commands, so each problem shows on the pipeline's line in the pull request. */
export function formatAnnotation(d: Diagnostic): string {
  const props = d.location
    ? `file=${escapeProperty(d.location.file)},line=${d.location.start.line},col=${d.location.start.col},endLine=${d.location.end.line},endColumn=${d.location.end.col},title=${escapeProperty(d.code)}`
    : `title=${escapeProperty(d.code)}`;
  const message = d.hint ? `${d.message}\n${d.hint}` : d.message;
  return `::${d.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(message)}`;
}


export function diagnosticsJson(diagnostics: readonly Diagnostic[]): string {
  return `${JSON.stringify({ diagnostics }, null, 2)}\n`;
}
