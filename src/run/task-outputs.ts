import { fail, ok, type Result } from '../result.js';

/** One value may hold this much; larger data belongs in a file declared in `outputs:`. */
export const MAX_OUTPUT_VALUE_BYTES = 1024 * 1024;
const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Reads what a task appended to `$DAGLINE_OUTPUT`, with `$GITHUB_OUTPUT`'s conventions: `key=value` lines and
 * `key<<DELIMITER` … `DELIMITER` blocks for multi-line values. A later value for a key replaces an earlier one.
 */
export function parseTaskOutputs(text: string): Result<Record<string, string>, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    const pair = /^([^=]+)=(.*)$/s.exec(line);
    let key: string;
    let value: string;
    if (heredoc && !line.includes('=')) {
      key = heredoc[1] ?? '';
      const delimiter = heredoc[2] ?? '';
      const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, '') === delimiter);
      if (end < 0) return fail(`output \`${key}\` starts a block with <<${delimiter} on line ${i + 1} but never ends it`);
      value = lines.slice(i + 1, end).map((l) => l.replace(/\r$/, '')).join('\n');
      i = end;
    } else if (pair) {
      [key, value] = [pair[1] ?? '', pair[2] ?? ''];
    } else {
      return fail(`line ${i + 1} of $DAGLINE_OUTPUT is not \`key=value\` or \`key<<DELIMITER\`: ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (!KEY.test(key)) return fail(`output name \`${key}\` on line ${i + 1} must start with a letter or _ and hold letters, digits, _ and -`);
    if (Buffer.byteLength(value) > MAX_OUTPUT_VALUE_BYTES) {
      return fail(`output \`${key}\` is larger than 1 MiB; write large data to a file declared in \`outputs:\``);
    }
    outputs[key] = value;
  }
  return ok(outputs);
}
