import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type YAML from 'yaml';
import type { Location } from '../diagnostics/diagnostic.js';

/** One parsed pipeline file: its plain data plus everything needed to point back into the source. */
export interface Document {
  /** The path as the user should see it (relative to the working directory when inside it). */
  file: string;
  /** The absolute path. */
  path: string;
  text: string;
  yaml: YAML.Document.Parsed;
  lines: LineCounter;
  value: Record<string, unknown>;
}

export type PathSegment = string | number;

export function locationAt(doc: Pick<Document, 'file' | 'lines'>, start: number, end = start): Location {
  const a = doc.lines.linePos(start);
  const b = doc.lines.linePos(end);
  return {
    file: doc.file,
    start: { line: a.line, col: a.col, offset: start },
    end: { line: b.line, col: b.col, offset: end },
  };
}

/**
 * The source location of the value (or, with part 'key', the key) at a data path such as
 * ['tasks', 'train', 'retries']. Falls back to the deepest node that exists, so a diagnostic about
 * a missing key points at the mapping that should hold it.
 */
export function locate(doc: Document, path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Location {
  let node: unknown = doc.yaml.contents;
  let pair: Pair | undefined;
  for (const segment of path) {
    const next = child(doc, node, segment);
    if (next === undefined) break;
    ({ node, pair } = next);
  }
  const target = part === 'key' && pair !== undefined && isNode(pair.key) ? pair.key : node;
  const range = isNode(target) ? target.range : undefined;
  if (!range) return locationAt(doc, 0);
  return locationAt(doc, range[0], range[1]);
}

function child(
  doc: Document,
  node: unknown,
  segment: PathSegment,
): { node: unknown; pair: Pair | undefined } | undefined {
  const resolved = isAlias(node) ? node.resolve(doc.yaml) : node;
  if (isMap(resolved)) {
    const pair = resolved.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
    return pair ? { node: pair.value ?? pair.key, pair } : undefined;
  }
  if (isSeq(resolved) && typeof segment === 'number') {
    const item = resolved.items[segment];
    return item === undefined ? undefined : { node: isPair(item) ? item.value : item, pair: undefined };
  }
  return undefined;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

/**
 * The location of an offset inside a string value (e.g. a column inside `${{ }}`). Quoting and block scalars
 * shift source offsets, so the offset is anchored on the nearest `${{` before it, which appears verbatim in
 * both the value and the source.
 */
export function locateInString(doc: Document, path: readonly PathSegment[], offset: number): Location {
  const whole = locate(doc, path);
  const value = String(valueAt(doc.value, path) ?? '');
  const raw = doc.text.slice(whole.start.offset, whole.end.offset);
  const anchor = value.lastIndexOf('${{', offset);
  const anchors = anchor < 0 ? 0 : countOccurrences(value.slice(0, anchor), '${{');
  const rawAnchor = nthIndexOf(raw, '${{', anchors);
  const start = anchor < 0 || rawAnchor < 0 ? plainOffset(raw, offset) : rawAnchor + (offset - anchor);
  return locationAt(doc, whole.start.offset + Math.min(start, raw.length));
}

function plainOffset(raw: string, offset: number): number {
  return /^['"]/.test(raw) ? offset + 1 : offset;
}

/** The plain value at a data path, or undefined. */
export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

function nthIndexOf(text: string, needle: string, n: number): number {
  let i = text.indexOf(needle);
  for (let k = 0; k < n && i >= 0; k++) i = text.indexOf(needle, i + needle.length);
  return i;
}
