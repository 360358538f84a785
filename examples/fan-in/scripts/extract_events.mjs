// extract_events: one day of web events (synthetic, seeded by the date).
// usage: node scripts/extract_events.mjs --date 2024-03-01 --count 1000 --customers 50 --out data/raw/events-2024-03-01.csv
import { Failure, args, cli, isoDate, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

const TYPES = [['page_view', 0.7], ['add_to_cart', 0.2], ['support_chat', 0.1]];

await cli(() => {
  const { values } = args(
    { date: { type: 'string' }, count: { type: 'string', default: '1000' }, customers: { type: 'string', default: '50' }, out: { type: 'string' } },
    ['date', 'out'],
  );
  const ds = isoDate(values.date);
  const [n, customers] = [values.count, values.customers].map(Number);
  if (!Number.isInteger(n) || n < 0) throw new Failure(`--count must be a non-negative integer, got ${values.count}`, 2);
  if (!Number.isInteger(customers) || customers < 1) throw new Failure(`--customers must be a positive integer, got ${values.customers}`, 2);
  const rand = rng(`events/${ds}`);
  const rows = [];
  for (let i = 1; i <= n; i++) {
    let u = rand();
    const type = TYPES.find(([, p]) => (u -= p) < 0)?.[0] ?? TYPES[0][0];
    const customer = 1 + Math.floor(rand() * customers);
    const second = Math.floor(rand() * 86_400);
    rows.push([`e${String(i).padStart(6, '0')}`, `c${String(customer).padStart(4, '0')}`, type, new Date(Date.parse(`${ds}T00:00:00Z`) + second * 1000).toISOString()]);
  }
  writeFileAtomic(values.out, toCsv(['event_id', 'customer_id', 'type', 'at'], rows));
  console.log(`extract_events: wrote ${rows.length} events for ${ds} to ${values.out}`);
});
