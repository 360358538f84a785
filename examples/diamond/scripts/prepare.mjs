// prepare: a small labelled catalogue of products, each with a tiny 8x8 grey-scale photo and a title.
// Label 1 = outdoor product, 0 = indoor. Neither the photo nor the title alone gives the label away.
// Writes three files: images.jsonl (id, width, height, pixels), titles.csv (id, title), labels.csv (id, label, split).
// usage: node scripts/prepare.mjs --items 240 --seed 42 --out-dir data/prepared
import path from 'node:path';
import { Failure, args, cli, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

const OUTDOOR = ['trail', 'garden', 'tent', 'sun', 'beach', 'hiking', 'patio'];
const INDOOR = ['lamp', 'sofa', 'desk', 'kitchen', 'shelf', 'cushion', 'rug'];
const NEUTRAL = ['blue', 'large', 'classic', 'set', 'new', 'wooden', 'soft', 'compact', 'grey', 'deluxe'];
const SIZE = 8;

await cli(() => {
  const { values } = args({ items: { type: 'string', default: '240' }, seed: { type: 'string', default: '42' }, 'out-dir': { type: 'string' } }, ['out-dir']);
  const n = Number(values.items);
  if (!Number.isInteger(n) || n < 20 || n > 100_000) throw new Failure(`--items must be an integer from 20 to 100000, got ${values.items}`, 2);
  const rand = rng(`diamond/${values.seed}`);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const images = [];
  const titles = [];
  const labels = [];
  for (let i = 0; i < n; i++) {
    const id = `p${String(i).padStart(5, '0')}`;
    const outdoor = rand() < 0.5 ? 1 : 0;
    // Photo: outdoor ones tend to have a bright sky on top and few edges; indoor ones are darker and busier.
    const sky = outdoor ? 0.3 + 0.5 * rand() : 0.1 + 0.5 * rand();
    const busy = outdoor ? 0.15 + 0.4 * rand() : 0.2 + 0.45 * rand();
    const pixels = [];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const base = y < SIZE / 2 ? 90 + 150 * sky : 60 + 90 * rand() * 0.5;
        const texture = (x + y) % 2 === 0 ? busy * 90 : -busy * 90;
        pixels.push(Math.max(0, Math.min(255, Math.round(base + texture + 40 * (rand() - 0.5)))));
      }
    }
    images.push(JSON.stringify({ id, width: SIZE, height: SIZE, pixels }));
    // Title: three or four words; each topical word leans to the right class only 75% of the time.
    const words = [];
    const count = 3 + Math.floor(rand() * 2);
    for (let w = 0; w < count; w++) {
      if (rand() < 0.45) words.push(pick(NEUTRAL));
      else words.push(pick((rand() < 0.75) === Boolean(outdoor) ? OUTDOOR : INDOOR));
    }
    titles.push([id, words.join(' ')]);
    labels.push([id, outdoor, rand() < 0.3 ? 'holdout' : 'train']);
  }
  const dir = values['out-dir'];
  writeFileAtomic(path.join(dir, 'images.jsonl'), `${images.join('\n')}\n`);
  writeFileAtomic(path.join(dir, 'titles.csv'), toCsv(['id', 'title'], titles));
  writeFileAtomic(path.join(dir, 'labels.csv'), toCsv(['id', 'label', 'split'], labels));
  console.log(`prepare: wrote ${n} products (images, titles, labels) to ${dir}/`);
});
