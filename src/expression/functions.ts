import type { CallExpr, Value } from './ast.js';
import { foldCase, isPrimitive, looseEquals, toText } from './coerce.js';
import type { EvaluationError, Status } from './evaluate.js';
import type { FunctionName } from './references.js';
import { fail, ok, type Result } from '../result.js';

type Implementation = (args: Value[], call: CallExpr, status: Status | undefined) => Result<Value, EvaluationError>;

/** Keyed by FunctionName, so adding a function to FUNCTIONS without implementing it does not compile. */
export const IMPLEMENTATIONS: Readonly<Record<FunctionName, Implementation>> = {
  contains: ([haystack = null, needle = null]) => ok(contains(haystack, needle)),
  startsWith: ([text = null, prefix = null]) => ok(matchText(text, prefix, (t, p) => t.startsWith(p))),
  endsWith: ([text = null, suffix = null]) => ok(matchText(text, suffix, (t, s) => t.endsWith(s))),
  format: ([pattern = null, ...args], call) => format(toText(pattern), args.map(toText), call),
  join: ([items = null, separator = ',']) => ok(join(items, separator)),
  toJSON: ([value = null]) => ok(JSON.stringify(value, null, 2) ?? 'null'),
  fromJSON: ([text = null], call) => fromJSON(toText(text), call),
  success: (_, call, status) => readStatus(status, call, (s) => s.success),
  failure: (_, call, status) => readStatus(status, call, (s) => s.failure),
  cancelled: (_, call, status) => readStatus(status, call, (s) => s.cancelled),
  always: (_, call, status) => readStatus(status, call, () => true),
};

/** A case-insensitive substring of a string, or an element (loosely equal) of an array. */
function contains(haystack: Value, needle: Value): boolean {
  if (Array.isArray(haystack)) return haystack.some((item) => looseEquals(item, needle));
  return matchText(haystack, needle, (h, n) => h.includes(n));
}

/** Compares two primitives as case-folded text; lists and objects never match. */
function matchText(a: Value, b: Value, test: (a: string, b: string) => boolean): boolean {
  return isPrimitive(a) && isPrimitive(b) && test(foldCase(toText(a)), foldCase(toText(b)));
}

/** A non-array is joined as a list of one; a non-text separator falls back to `,`, as in GitHub. */
function join(items: Value, separator: Value): string {
  if (!Array.isArray(items)) return isPrimitive(items) ? toText(items) : '';
  return items.map(toText).join(isPrimitive(separator) ? toText(separator) : ',');
}

/** `{0}` is the first argument after the pattern; `{{` and `}}` are literal braces. */
function format(pattern: string, args: string[], call: CallExpr): Result<Value, EvaluationError> {
  let out = '';
  const token = /\{\{|\}\}|\{(\d+)\}|[{}]/g;
  let at = 0;
  for (let match = token.exec(pattern); match !== null; match = token.exec(pattern)) {
    out += pattern.slice(at, match.index);
    at = match.index + match[0].length;
    const [whole, digits] = match;
    if (whole === '{{' || whole === '}}') out += whole[0];
    else if (digits === undefined) return badFormat(call, `\`format()\`: invalid format string \`${pattern}\`: write \`{{\` or \`}}\` for a literal brace, and \`{0}\` for the first argument`);
    else if (Number(digits) >= args.length) return badFormat(call, `\`format()\`: \`{${digits}}\` refers to argument ${digits}, but ${plural(args.length, 'argument')} ${args.length === 1 ? 'follows' : 'follow'} the format string`);
    else out += args[Number(digits)];
  }
  return ok(out + pattern.slice(at));
}

function badFormat(call: CallExpr, message: string): Result<Value, EvaluationError> {
  const pattern = call.args[0] ?? call;
  return fail({ message, start: pattern.start, end: pattern.end });
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function fromJSON(text: string, call: CallExpr): Result<Value, EvaluationError> {
  const at = call.args[0] ?? call;
  try {
    return ok(JSON.parse(text) as Value);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail({ message: `\`fromJSON()\`: not valid JSON: ${reason}`, start: at.start, end: at.end });
  }
}

function readStatus(status: Status | undefined, call: CallExpr, read: (status: Status) => boolean): Result<Value, EvaluationError> {
  if (status !== undefined) return ok(read(status));
  return fail({ message: `\`${call.name}()\` reads the task's status, which is only known when the task is about to start`, start: call.start, end: call.end });
}
