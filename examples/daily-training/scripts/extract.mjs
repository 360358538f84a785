// extract: writes one day of (synthetic) customer data, seeded by the date, so a date always gives the same rows.
// usage: node scripts/extract.mjs --date 2024-03-01 --rows 200 --out data/raw/2024-03-01.csv
import { Failure, args, cli, isoDate, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

export const COLUMNS = ['customer_id', 'age', 'tenure_months', 'monthly_spend', 'support_calls', 'churned'];

await cli(() => {
  const { values } = args({ date: { type: 'string' }, rows: { type: 'string', default: '200' }, out: { type: 'string' } }, ['date', 'out']);
  const ds = isoDate(values.date);
  const n = Number(values.rows);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Failure(`--rows must be an integer from 1 to 1000000, got ${values.rows}`, 2);

  const rand = rng(`daily-training/${ds}`);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const rows = [];
  for (let i = 0; i < n; i++) {
    const age = int(18, 80);
    const tenure = int(1, 72);
    const spend = 20 + rand() * 130;
    let calls = 0;
    while (calls < 10 && rand() < 0.45) calls++;
    // The hidden truth: short tenure, many support calls and high spend churn; one interaction for the trees.
    const logit = 0.3 - 0.055 * tenure + 0.55 * calls + 0.012 * (spend - 85) - 0.012 * (age - 48)
      + (spend > 110 && tenure < 18 ? 1.4 : 0) + 0.6 * normal();
    const churned = rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const id = `${ds.replaceAll('-', '')}-${String(i).padStart(5, '0')}`;
    rows.push([id, age, tenure, spend.toFixed(2), calls, churned]);
  }
  writeFileAtomic(values.out, toCsv(COLUMNS, rows));
  const positives = rows.filter((r) => r[5] === 1).length;
  console.log(`extract: wrote ${rows.length} rows (${positives} churned) for ${ds} to ${values.out}`);
});
