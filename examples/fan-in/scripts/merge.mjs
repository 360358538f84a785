// merge: joins the three sources into one row per customer (orders and events aggregated). Fails when an order
// or an event names a customer that is not in the customer table (a broken join is bad data, not a zero).
// usage: node scripts/merge.mjs --customers data/raw/customers-D.csv --orders data/raw/orders-D.csv \
//          --events data/raw/events-D.csv --out data/merged/customers-D.csv
import { Failure, args, cli, readCsv, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

function table(file, what, columns) {
  const { header, rows } = readCsv(file, what);
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Failure(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${what})`);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

await cli(() => {
  const { values } = args(
    { customers: { type: 'string' }, orders: { type: 'string' }, events: { type: 'string' }, out: { type: 'string' } },
    ['customers', 'orders', 'events', 'out'],
  );
  const customers = table(values.customers, 'customers', ['customer_id', 'country', 'segment']);
  const orders = table(values.orders, 'orders', ['order_id', 'customer_id', 'amount_eur']);
  const events = table(values.events, 'events', ['event_id', 'customer_id', 'type']);

  const byId = new Map();
  for (const c of customers) {
    if (byId.has(c.customer_id)) throw new Failure(`${values.customers}: duplicate customer_id ${c.customer_id}`);
    byId.set(c.customer_id, { ...c, orders: 0, revenue: 0, page_views: 0, carts: 0, chats: 0 });
  }
  const unknown = []; // rows whose customer is not in the customer table
  for (const o of orders) {
    const c = byId.get(o.customer_id);
    const amount = Number(o.amount_eur);
    if (!c) { unknown.push(`order ${o.order_id} -> ${o.customer_id}`); continue; }
    if (!Number.isFinite(amount) || amount < 0) throw new Failure(`${values.orders}: order ${o.order_id} has a bad amount ${JSON.stringify(o.amount_eur)}`);
    c.orders++;
    c.revenue += amount;
  }
  for (const e of events) {
    const c = byId.get(e.customer_id);
    if (!c) { unknown.push(`event ${e.event_id} -> ${e.customer_id}`); continue; }
    if (e.type === 'page_view') c.page_views++;
    else if (e.type === 'add_to_cart') c.carts++;
    else if (e.type === 'support_chat') c.chats++;
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join('; ') + (unknown.length > 5 ? '; …' : '');
    throw new Failure(`${unknown.length} row(s) refer to customers missing from ${values.customers}: ${shown}`);
  }
  const header = ['customer_id', 'country', 'segment', 'orders', 'revenue_eur', 'page_views', 'add_to_carts', 'support_chats'];
  const rows = [...byId.values()].map((c) => [c.customer_id, c.country, c.segment, c.orders, c.revenue.toFixed(2), c.page_views, c.carts, c.chats]);
  writeFileAtomic(values.out, toCsv(header, rows));
  console.log(`merge: joined ${customers.length} customers, ${orders.length} orders, ${events.length} events -> ${values.out}`);
});
