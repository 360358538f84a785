// validate_data: checks the raw file of a day before anything is built on it; exits 1 on bad data.
// usage: node scripts/validate.mjs data/raw/2024-03-01.csv --min-rows 100 --report reports/validation-2024-03-01.json
import { Failure, args, cli, readCsv, writeJson } from '../../common/script-kit.mjs';

const COLUMNS = ['customer_id', 'age', 'tenure_months', 'monthly_spend', 'support_calls', 'churned'];
const RANGES = { age: [16, 120], tenure_months: [0, 600], monthly_spend: [0, 100_000], support_calls: [0, 1000] };

await cli(() => {
  const { values, positionals } = args({ 'min-rows': { type: 'string', default: '100' }, report: { type: 'string' } }, ['report'], { positionals: true });
  if (positionals.length !== 1) throw new Failure('usage: validate.mjs <raw.csv> --report <file.json> [--min-rows N]', 2);
  const [file] = positionals;
  const minRows = Number(values['min-rows']);
  if (!Number.isInteger(minRows) || minRows < 1) throw new Failure(`--min-rows must be a positive integer, got ${values['min-rows']}`, 2);

  const { header, rows } = readCsv(file, 'raw data');
  const problems = [];
  if (header.join(',') !== COLUMNS.join(',')) problems.push(`columns are [${header.join(', ')}], expected [${COLUMNS.join(', ')}]`);
  if (rows.length < minRows) problems.push(`${rows.length} rows, expected at least ${minRows}`);
  if (header.join(',') === COLUMNS.join(',')) {
    const ids = new Set();
    rows.forEach((r, i) => {
      const where = `${file}:${i + 2}`;
      if (ids.has(r[0])) problems.push(`${where}: duplicate customer_id ${r[0]}`);
      ids.add(r[0]);
      for (const [col, [lo, hi]] of Object.entries(RANGES)) {
        const v = Number(r[COLUMNS.indexOf(col)]);
        if (r[COLUMNS.indexOf(col)] === '' || !Number.isFinite(v)) problems.push(`${where}: ${col} is not a number`);
        else if (v < lo || v > hi) problems.push(`${where}: ${col} = ${v} is outside [${lo}, ${hi}]`);
      }
      if (!['0', '1'].includes(r[5])) problems.push(`${where}: churned must be 0 or 1`);
    });
    const positives = rows.filter((r) => r[5] === '1').length;
    if (positives < 5 || rows.length - positives < 5) problems.push(`labels too unbalanced: ${positives} churned of ${rows.length} (need 5 of each class)`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).map((p) => `  - ${p}`).join('\n');
    const more = problems.length > 10 ? `\n  … and ${problems.length - 10} more` : '';
    throw new Failure(`${file} failed validation (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${shown}${more}`);
  }
  const positives = rows.filter((r) => r[5] === '1').length;
  writeJson(values.report, { file, rows: rows.length, columns: header, churned: positives, min_rows: minRows, ok: true });
  console.log(`validate_data: ${file} ok (${rows.length} rows, ${header.length} columns)`);
});
