// make-data: (re)generates data.csv, the small regression data set every model of the zoo is fitted on:
// y = sin(2.5x) + 0.3x^2 + noise, 80 points, every fourth one held out for validation.
// usage: node scripts/make-data.mjs data.csv
import { Failure, cli, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

await cli(() => {
  const out = process.argv[2];
  if (!out || process.argv.length > 3) throw new Failure('usage: make-data.mjs <data.csv>', 2);
  const rand = rng('model-zoo/data');
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows = [];
  for (let i = 0; i < 80; i++) {
    const x = -1 + 2 * rand();
    const y = Math.sin(2.5 * x) + 0.3 * x * x + 0.15 * normal();
    rows.push([x.toFixed(4), y.toFixed(4), i % 4 === 3 ? 'valid' : 'train']);
  }
  writeFileAtomic(out, toCsv(['x', 'y', 'split'], rows));
  console.log(`make-data: wrote ${rows.length} points to ${out}`);
});
