import { parseArgs, type ParseArgsConfig } from 'node:util';
import YAML from 'yaml';
import type { Value } from '../expression/ast.js';
import { fail, ok, type Result } from '../result.js';
import type { UsageProblem } from './io.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  date: { type: 'string' },
  param: { type: 'string', multiple: true, short: 'p' },
  format: { type: 'string' },
  pipeline: { type: 'string' },
} as const satisfies OptionSpec;

export interface ParsedArguments {
  values: Record<string, string | boolean | string[] | undefined>;
  paths: string[];
}

export function parseArguments(argv: string[], options: OptionSpec): Result<ParsedArguments, UsageProblem> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return ok({ values: values as ParsedArguments['values'], paths: positionals });
  } catch (e) {
    // node:util reports unknown or malformed options by throwing; for us that is a usage problem.
    return fail({ code: 'DAG090', message: e instanceof Error ? e.message : String(e) });
  }
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, option: string): Result<T, UsageProblem> {
  if (value === undefined) return ok(fallback);
  if (allowed.includes(value as T)) return ok(value as T);
  return fail({ code: 'DAG090', message: `--${option} must be one of ${allowed.join(', ')}, not \`${String(value)}\`` });
}

export function positiveInteger(value: unknown, fallback: number, option: string): Result<number, UsageProblem> {
  if (value === undefined) return ok(fallback);
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? ok(n) : fail({ code: 'DAG090', message: `--${option} must be a whole number of at least 1, not \`${String(value)}\`` });
}

/** `--param name=value`; the value is read as YAML, so `0.8` is a number and `[a, b]` a list. */
export function parseParams(raw: readonly string[] | undefined): Result<Record<string, Value>, UsageProblem> {
  const params: Record<string, Value> = {};
  for (const item of raw ?? []) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? '' : item.slice(0, eq).trim();
    if (name === '') return fail({ code: 'DAG092', message: `--param takes name=value, not \`${item}\`` });
    params[name] = parseValue(item.slice(eq + 1));
  }
  return ok(params);
}

function parseValue(text: string): Value {
  try {
    return (YAML.parse(text, { maxAliasCount: 0 }) ?? text) as Value;
  } catch {
    return text; // not YAML: take the text as it is
  }
}
