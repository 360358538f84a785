import { closest, distance } from 'fastest-levenshtein';

/** "; did you mean `retries`?" when one known name is close enough to be the likely intent, else ''. */
export function didYouMean(written: string, known: Iterable<string>): string {
  const candidates = [...known];
  if (candidates.length === 0) return '';
  const best = closest(written, candidates);
  // A transposition ("trian") costs 2 in Levenshtein distance, so allow 2 edits for all but very short names.
  const length = Math.max(written.length, best.length);
  const limit = length <= 3 ? 1 : Math.max(2, Math.floor(length / 3));
  return distance(written, best) <= limit ? `; did you mean \`${best}\`?` : '';
}
