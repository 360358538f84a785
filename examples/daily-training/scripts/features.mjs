// features: turns the raw rows of a day into standardised features plus a deterministic train/holdout split.
// usage: node scripts/features.mjs --in data/raw/2024-03-01.csv --out data/features/2024-03-01.csv
import { args, cli, readCsv, rng, toCsv, writeFileAtomic, Failure } from '../../common/script-kit.mjs';

const HOLDOUT = 0.3;

await cli(() => {
  const { values } = args({ in: { type: 'string' }, out: { type: 'string' } }, ['in', 'out']);
  const { header, rows } = readCsv(values.in, 'raw data');
  const col = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Failure(`${values.in}: missing column ${name}`);
    return i;
  };
  const [iId, iAge, iTenure, iSpend, iCalls, iLabel] = ['customer_id', 'age', 'tenure_months', 'monthly_spend', 'support_calls', 'churned'].map(col);

  // A row's split depends only on its id, so it does not move when other rows change.
  const split = rows.map((r) => (rng(r[iId])() < HOLDOUT ? 'holdout' : 'train'));
  const raw = rows.map((r) => {
    const tenure = Number(r[iTenure]);
    const spend = Number(r[iSpend]);
    return [Number(r[iAge]), tenure, spend, Number(r[iCalls]), Math.log1p(spend / Math.max(tenure, 1))];
  });
  const names = ['f_age', 'f_tenure', 'f_spend', 'f_calls', 'f_spend_per_month_of_tenure'];
  // Standardise with statistics of the training split only (no leakage from the holdout).
  const train = raw.filter((_, i) => split[i] === 'train');
  if (train.length < 10) throw new Failure(`only ${train.length} training rows; need at least 10`);
  const mean = names.map((_, j) => train.reduce((s, x) => s + x[j], 0) / train.length);
  const sd = names.map((_, j) => Math.sqrt(train.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / train.length) || 1);
  const out = rows.map((r, i) => [r[iId], split[i], ...raw[i].map((v, j) => ((v - mean[j]) / sd[j]).toFixed(5)), r[iLabel]]);
  writeFileAtomic(values.out, toCsv(['customer_id', 'split', ...names, 'label'], out));
  console.log(`features: wrote ${out.length} rows x ${names.length} features (${train.length} train, ${out.length - train.length} holdout) to ${values.out}`);
});
