/**
 * `matrix: { model: ${{ params.models }} }` is what users write (GitHub's docs and ours show it), but inside a
 * YAML flow mapping the braces of `${{ }}` end the value. Before parsing, each `${{` and its closing `}}` are
 * swapped for private-use characters of the same length, so every offset stays exact; strings get the
 * original characters back after parsing.
 */
const OPEN = '\uE000\uE001\uE002';
const CLOSE = '\uE003\uE004';
const MASKED = /[\uE000-\uE004]/;

export function maskExpressions(text: string): string {
  if (!text.includes('${{') || MASKED.test(text)) return text;
  let out = '';
  let i = 0;
  for (let open = text.indexOf('${{', i); open >= 0; open = text.indexOf('${{', i)) {
    const close = closingBraces(text, open + 3);
    if (close < 0) break;
    out += `${text.slice(i, open)}${OPEN}${text.slice(open + 3, close)}${CLOSE}`;
    i = close + 2;
  }
  return out + text.slice(i);
}

/** The `}}` that closes an expression, skipping any inside '…' string literals; -1 when there is none. */
function closingBraces(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length - 1; i++) {
    const c = text[i];
    if (c === "'") inString = !inString;
    else if (c === '\n' && !inString) return -1;
    else if (!inString && c === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

export function unmaskValue(value: unknown): unknown {
  if (typeof value === 'string') return MASKED.test(value) ? value.replaceAll(OPEN, '${{').replaceAll(CLOSE, '}}') : value;
  if (Array.isArray(value)) return value.map(unmaskValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [unmaskValue(k) as string, unmaskValue(v)]));
  }
  return value;
}
