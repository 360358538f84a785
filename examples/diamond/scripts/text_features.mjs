// text_features: per title, length and counts of words from two small keyword lists.
// usage: node scripts/text_features.mjs --in data/prepared/titles.csv --out data/features/text.csv
import { Failure, args, cli, readCsv, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

const OUTDOOR = new Set(['trail', 'garden', 'tent', 'sun', 'beach', 'hiking', 'patio', 'camping', 'outdoor']);
const INDOOR = new Set(['lamp', 'sofa', 'desk', 'kitchen', 'shelf', 'cushion', 'rug', 'indoor', 'bedroom']);

await cli(() => {
  const { values } = args({ in: { type: 'string' }, out: { type: 'string' } }, ['in', 'out']);
  const { header, rows } = readCsv(values.in, 'titles');
  if (header.join(',') !== 'id,title') throw new Failure(`${values.in}: expected columns id,title, got ${header.join(',')}`);
  const out = rows.map(([id, title]) => {
    const words = title.toLowerCase().split(/[^a-z]+/).filter(Boolean);
    const outdoor = words.filter((w) => OUTDOOR.has(w)).length;
    const indoor = words.filter((w) => INDOOR.has(w)).length;
    return [id, words.length, outdoor, indoor, (outdoor - indoor) / Math.max(words.length, 1)];
  });
  if (out.length === 0) throw new Failure(`${values.in} holds no titles`);
  writeFileAtomic(values.out, toCsv(['id', 'txt_words', 'txt_outdoor', 'txt_indoor', 'txt_balance'], out.map((r) => [r[0], r[1], r[2], r[3], r[4].toFixed(4)])));
  console.log(`text_features: ${out.length} titles -> 4 features -> ${values.out}`);
});
