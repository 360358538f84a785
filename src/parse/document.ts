import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type YAML from 'yaml';
import type { Location } from '../diagnostics/diagnostic.js';
import { sourceOffset } from './scalar-offsets.js';

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
  const { node, pair } = find(doc, path);
  const target = part === 'key' && pair !== undefined && isNode(pair.key) ? pair.key : node;
  const range = isNode(target) ? target.range : undefined;
  if (!range) return locationAt(doc, 0);
  return locationAt(doc, range[0], range[1]);
}

/** The deepest node along the path, and the pair that holds it. */
function find(doc: Document, path: readonly PathSegment[]): { node: unknown; pair: Pair | undefined } {
  let found: { node: unknown; pair: Pair | undefined } = { node: doc.yaml.contents, pair: undefined };
  for (const segment of path) {
    const next = child(doc, found.node, segment);
    if (next === undefined) break;
    found = next;
  }
  return found;
}

const nodeAt = (doc: Document, path: readonly PathSegment[]): unknown => find(doc, path).node;

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

/** The location of an offset inside a string value, such as a column inside `${{ }}`. */
export function locateInString(doc: Document, path: readonly PathSegment[], offset: number): Location {
  const node = nodeAt(doc, path);
  const range = isScalar(node) ? node.range : undefined;
  if (!isScalar(node) || !range) return locate(doc, path);
  const raw = doc.text.slice(range[0], range[1]);
  return locationAt(doc, range[0] + Math.min(sourceOffset(raw, node.type, offset), raw.length));
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
