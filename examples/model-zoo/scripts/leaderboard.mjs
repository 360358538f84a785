// leaderboard: reads the result of every model listed in models.json, ranks them by validation RMSE and writes a
// Markdown and a JSON leaderboard; best_model=… and best_rmse=… go to $DAGLINE_OUTPUT.
// usage: node scripts/leaderboard.mjs --models models.json --dir out --out reports/leaderboard.md
import path from 'node:path';
import { Failure, args, cli, readJson, safeName, setOutputs, writeFileAtomic, writeJson } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args({ models: { type: 'string' }, dir: { type: 'string' }, out: { type: 'string' }, top: { type: 'string', default: '10' } }, ['models', 'dir', 'out']);
  const names = readJson(values.models, 'model list');
  if (!Array.isArray(names) || names.length === 0) throw new Failure(`${values.models} must hold a non-empty JSON list of model names`);
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new Failure(`--top must be a positive integer, got ${values.top}`, 2);
  const missing = [];
  const results = [];
  for (const name of names) {
    const file = path.join(values.dir, `${safeName(name, `a name in ${values.models}`)}.json`);
    let r;
    try {
      r = readJson(file, 'result');
    } catch (e) {
      missing.push(file);
      continue;
    }
    if (r.model !== name || typeof r.valid_rmse !== 'number') throw new Failure(`${file}: expected {model: "${name}", valid_rmse: <number>}`);
    results.push(r);
  }
  if (missing.length > 0) throw new Failure(`${missing.length} of ${names.length} results are missing or unreadable: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  results.sort((a, b) => a.valid_rmse - b.valid_rmse || a.model.localeCompare(b.model));
  const best = results[0];
  const rows = results.slice(0, top).map((r, i) => `| ${i + 1} | ${r.model} | ${r.degree} | ${r.lambda} | ${r.train_rmse.toFixed(4)} | ${r.valid_rmse.toFixed(4)} |`);
  const md = [
    '# Model zoo leaderboard',
    '',
    `${results.length} models ranked by validation RMSE (lower is better); top ${Math.min(top, results.length)}:`,
    '',
    '| rank | model | degree | lambda | train RMSE | valid RMSE |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Worst: ${results.at(-1).model} (valid RMSE ${results.at(-1).valid_rmse.toFixed(4)}).`,
    '',
  ].join('\n');
  writeFileAtomic(values.out, md);
  writeJson(values.out.replace(/\.md$/, '') + '.json', results.map(({ model, degree, lambda, train_rmse, valid_rmse }) => ({ model, degree, lambda, train_rmse, valid_rmse })));
  setOutputs({ best_model: best.model, best_rmse: best.valid_rmse });
  console.log(`leaderboard: ${results.length} models, best ${best.model} (valid RMSE ${best.valid_rmse}) -> ${values.out}`);
});
