import type { Scalar } from 'yaml';

/**
 * Where the character at `offset` of a scalar's value stands in its source text. Quotes, escapes (`\t`, `''`)
 * and a block scalar's indentation make the two differ, and a diagnostic inside `${{ }}` must still point at
 * the right column. Line folding in plain and folded scalars is approximated: a folded line break counts as
 * the one space it becomes.
 */
export function sourceOffset(raw: string, type: Scalar.Type | undefined, offset: number): number {
  switch (type) {
    case 'QUOTE_DOUBLE':
      return walk(raw, 1, offset, doubleQuotedWidth);
    case 'QUOTE_SINGLE':
      return walk(raw, 1, offset, (text, i) => (text.startsWith("''", i) ? 2 : 1));
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return blockOffset(raw, offset);
    default:
      return walk(raw, 0, offset, () => 1);
  }
}

/** Steps through the source, `width` source characters per value character, folding line breaks to one. */
function walk(raw: string, start: number, offset: number, width: (text: string, i: number) => number): number {
  let i = start;
  for (let produced = 0; produced < offset && i < raw.length; produced++) {
    if (raw[i] === '\n') i = skipIndentation(raw, i + 1);
    else i += width(raw, i);
  }
  return i;
}

function doubleQuotedWidth(text: string, i: number): number {
  if (text[i] !== '\\') return 1;
  const escape = text[i + 1];
  if (escape === 'x') return 4;
  if (escape === 'u') return 6;
  if (escape === 'U') return 10;
  return 2;
}

function skipIndentation(raw: string, i: number): number {
  while (raw[i] === ' ' || raw[i] === '\t') i++;
  return i;
}

/** Block scalars: the header line, then lines that each lose the same indentation. */
function blockOffset(raw: string, offset: number): number {
  const bodyStart = raw.indexOf('\n') + 1;
  const body = raw.slice(bodyStart);
  const indent = /^( *)\S/m.exec(body)?.[1]?.length ?? 0;
  let source = bodyStart;
  let remaining = offset;
  for (const line of body.split('\n')) {
    const content = line.slice(Math.min(indent, line.length));
    if (remaining <= content.length) return source + Math.min(indent, line.length) + remaining;
    remaining -= content.length + 1;
    source += line.length + 1;
  }
  return raw.length;
}
