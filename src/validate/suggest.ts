import { closest, distance } from 'fastest-levenshtein';

/** "; did you mean `retries`?" when one known name is close enough to be the likely intent, else ''. */
export function didYouMean(written: string, known: Iterable<string>): string {
  const candidates = [...known];
  if (candidates.length === 0) return '';
  const best = closest(written, candidates);
  const limit = Math.max(1, Math.floor(Math.max(written.length, best.length) / 3));
  return distance(written, best) <= limit ? `; did you mean \`${best}\`?` : '';
}
