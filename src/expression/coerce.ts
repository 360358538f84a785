import type { Value } from './ast.js';
import { parseNumber } from './lex.js';

/** GitHub's conversions between value kinds, used by the comparison operators and the functions. */

type Kind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function kindOf(value: Value): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'boolean' | 'number' | 'string' | 'object';
}

export function isPrimitive(value: Value): value is null | boolean | number | string {
  return value === null || typeof value !== 'object';
}

/** Falsy: `false`, `0`, `-0`, `NaN`, `''`, `null`. Arrays and objects, even empty, are truthy. */
export function truthy(value: Value): boolean {
  if (value === null) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value !== '';
  return typeof value === 'boolean' ? value : true;
}

/** null → 0, booleans → 0/1, strings parsed (empty → 0, not a number → NaN), arrays and objects → NaN. */
export function toNumber(value: Value): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseNumber(value);
  return Number.NaN;
}

/** How a value reads when substituted into a string. */
export function toText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * Like .NET's `ToString("G15")`, which GitHub uses: at most 15 significant digits, plain notation for
 * exponents -5 < e < 15 (`3`, `0.1`, `0.0001`), otherwise `1E+15`, `1.5E-07`.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  // -0 prints as 0: a sign on zero only ever surprises.
  if (n === 0) return '0';
  // Integers below 10^15 have at most 15 digits: printed as they are (the common case: counts, ids, matrix values).
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const [mantissa = '', exponentText = '0'] = n.toExponential(14).split('e');
  const exponent = Number(exponentText);
  if (exponent > -5 && exponent < 15) return String(Number(n.toExponential(14)));
  const digits = mantissa.replace(/\.?0+$/, '');
  return `${digits}E${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** `==`: converts mismatched kinds to numbers; strings compare case-insensitively; arrays and objects by identity. */
export function looseEquals(left: Value, right: Value): boolean {
  const [l, r] = coerce(left, right);
  if (kindOf(l) !== kindOf(r)) return false;
  if (typeof l === 'string' && typeof r === 'string') return foldCase(l) === foldCase(r);
  // NaN is unequal to itself under ===, as GitHub wants.
  return l === r;
}

/** `<`: numbers (NaN never compares), strings case-insensitively, `false < true`; other pairs are never less. */
export function lessThan(left: Value, right: Value): boolean {
  const [l, r] = coerce(left, right);
  if (typeof l === 'number' && typeof r === 'number') return l < r;
  if (typeof l === 'string' && typeof r === 'string') return foldCase(l) < foldCase(r);
  if (typeof l === 'boolean' && typeof r === 'boolean') return !l && r;
  return false;
}

/**
 * GitHub's ordinal-ignore-case: each character upper-cased on its own (`ß` stays `ß`, not `SS`),
 * except the dotless `ı`, which .NET does not fold to `I`.
 */
export function foldCase(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
  let folded = '';
  for (const c of text) {
    const upper = c.toUpperCase();
    folded += upper.length === c.length && c !== 'ı' ? upper : c;
  }
  return folded;
}

/** Brings mismatched kinds together: number vs string → numbers; booleans and null → numbers, then again. */
function coerce(left: Value, right: Value): [Value, Value] {
  const lk = kindOf(left);
  const rk = kindOf(right);
  if (lk === rk) return [left, right];
  if (lk === 'number' && rk === 'string') return [left, toNumber(right)];
  if (lk === 'string' && rk === 'number') return [toNumber(left), right];
  if (lk === 'boolean' || lk === 'null') return coerce(toNumber(left), right);
  if (rk === 'boolean' || rk === 'null') return coerce(left, toNumber(right));
  return [left, right];
}
