// report: a Markdown summary of the merged table (revenue by country and segment, top customers); also writes
// customers=…, revenue_eur=… and top_country=… to $DAGLINE_OUTPUT.
// usage: node scripts/report.mjs --date 2024-03-01 --in data/merged/customers-2024-03-01.csv --out reports/2024-03-01.md
import { Failure, args, cli, isoDate, readCsv, setOutputs, writeFileAtomic } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args({ date: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } }, ['date', 'in', 'out']);
  const ds = isoDate(values.date);
  const { header, rows } = readCsv(values.in, 'merged table');
  const need = ['customer_id', 'country', 'segment', 'orders', 'revenue_eur'];
  const missing = need.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Failure(`${values.in}: missing columns ${missing.join(', ')}`);
  const recs = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  const sumBy = (key) => {
    const m = new Map();
    for (const r of recs) m.set(r[key], (m.get(r[key]) ?? 0) + Number(r.revenue_eur));
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  const total = recs.reduce((s, r) => s + Number(r.revenue_eur), 0);
  const orders = recs.reduce((s, r) => s + Number(r.orders), 0);
  const table = (title, pairs) => [`| ${title} | revenue (EUR) | share |`, '| --- | ---: | ---: |',
    ...pairs.map(([k, v]) => `| ${k} | ${v.toFixed(2)} | ${((100 * v) / (total || 1)).toFixed(1)}% |`)].join('\n');
  const top = [...recs].sort((a, b) => Number(b.revenue_eur) - Number(a.revenue_eur)).slice(0, 5);
  const byCountry = sumBy('country');
  const md = [
    `# Sales report ${ds}`,
    '',
    `${recs.length} customers, ${orders} orders, ${total.toFixed(2)} EUR revenue.`,
    '',
    table('country', byCountry),
    '',
    table('segment', sumBy('segment')),
    '',
    '| top customer | country | segment | orders | revenue (EUR) |',
    '| --- | --- | --- | ---: | ---: |',
    ...top.map((r) => `| ${r.customer_id} | ${r.country} | ${r.segment} | ${r.orders} | ${r.revenue_eur} |`),
    '',
  ].join('\n');
  writeFileAtomic(values.out, md);
  setOutputs({ customers: recs.length, revenue_eur: total.toFixed(2), top_country: byCountry[0]?.[0] ?? '' });
  console.log(`report: ${recs.length} customers, ${total.toFixed(2)} EUR (top country ${byCountry[0]?.[0]}) -> ${values.out}`);
});
