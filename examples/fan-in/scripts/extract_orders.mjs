// extract_orders: one day of orders (synthetic, seeded by the date); customer ids refer to the customer table.
// usage: node scripts/extract_orders.mjs --date 2024-03-01 --count 300 --customers 50 --out data/raw/orders-2024-03-01.csv
import { Failure, args, cli, isoDate, rng, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args(
    { date: { type: 'string' }, count: { type: 'string', default: '300' }, customers: { type: 'string', default: '50' }, out: { type: 'string' } },
    ['date', 'out'],
  );
  const ds = isoDate(values.date);
  const [n, customers] = [values.count, values.customers].map(Number);
  if (!Number.isInteger(n) || n < 0) throw new Failure(`--count must be a non-negative integer, got ${values.count}`, 2);
  if (!Number.isInteger(customers) || customers < 1) throw new Failure(`--customers must be a positive integer, got ${values.customers}`, 2);
  const rand = rng(`orders/${ds}`);
  const rows = [];
  for (let i = 1; i <= n; i++) {
    // A few customers order a lot (skewed pick), amounts are log-normal-ish.
    const customer = 1 + Math.floor(customers * rand() ** 1.8);
    const amount = Math.exp(2.5 + 1.1 * rand() + 0.8 * rand());
    const minute = Math.floor(rand() * 1440);
    const ts = `${ds}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`;
    rows.push([`o${ds.replaceAll('-', '')}${String(i).padStart(5, '0')}`, `c${String(customer).padStart(4, '0')}`, ts, amount.toFixed(2)]);
  }
  writeFileAtomic(values.out, toCsv(['order_id', 'customer_id', 'ordered_at', 'amount_eur'], rows));
  console.log(`extract_orders: wrote ${rows.length} orders for ${ds} to ${values.out}`);
});
