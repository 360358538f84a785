// extract_customers: the customer table as of a date (synthetic, seeded by the date).
// usage: node scripts/extract_customers.mjs --date 2024-03-01 --count 50 --out data/raw/customers-2024-03-01.csv
import { Failure, args, cli, isoDate, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

const COUNTRIES = ['DE', 'FR', 'NL', 'ES', 'IT'];
const SEGMENTS = ['consumer', 'small_business', 'enterprise'];

await cli(() => {
  const { values } = args({ date: { type: 'string' }, count: { type: 'string', default: '50' }, out: { type: 'string' } }, ['date', 'out']);
  const ds = isoDate(values.date);
  const n = Number(values.count);
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new Failure(`--count must be an integer from 1 to 9999, got ${values.count}`, 2);
  const rand = rng(`customers/${ds}`);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const rows = [];
  for (let i = 1; i <= n; i++) {
    const signup = new Date(Date.parse(`${ds}T00:00:00Z`) - Math.floor(rand() * 900) * 86_400_000).toISOString().slice(0, 10);
    rows.push([`c${String(i).padStart(4, '0')}`, pick(COUNTRIES), pick(SEGMENTS), signup]);
  }
  writeFileAtomic(values.out, toCsv(['customer_id', 'country', 'segment', 'signup_date'], rows));
  console.log(`extract_customers: wrote ${rows.length} customers for ${ds} to ${values.out}`);
});
