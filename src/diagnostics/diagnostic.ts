import type { Code } from './codes.js';

/** A 1-based line and column, plus the 0-based offset they came from. */
export interface Position {
  line: number;
  col: number;
  offset: number;
}

export interface Location {
  file: string;
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  /** What to do about it, when there is something useful to say. */
  hint?: string;
  location?: Location;
}

export function error(code: Code, message: string, location?: Location, hint?: string): Diagnostic {
  return {
    code,
    severity: 'error',
    message,
    ...(hint === undefined ? {} : { hint }),
    ...(location === undefined ? {} : { location }),
  };
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');

/** Stable order for output: by file, then position, then code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.start.offset ?? -1) - (b.location?.start.offset ?? -1) ||
      a.code.localeCompare(b.code),
  );
}
