// select: reads the metrics of every evaluated model, picks the best AUC, writes best_model / best_auc to
// $DAGLINE_OUTPUT and a small report.
// usage: node scripts/select.mjs --models xgboost,random_forest --metrics-dir metrics --out reports/selection-2024-03-01.json
import path from 'node:path';
import { Failure, args, cli, readJson, safeName, setOutputs, writeJson } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args({ models: { type: 'string' }, 'metrics-dir': { type: 'string', default: 'metrics' }, out: { type: 'string' } }, ['models', 'out']);
  const names = values.models.split(',').map((s) => s.trim()).filter(Boolean).map((n) => safeName(n, 'a model name in --models'));
  if (names.length === 0) throw new Failure('--models is empty', 2);
  const results = names.map((name) => {
    const file = path.join(values['metrics-dir'], `${name}.json`);
    const m = readJson(file, 'metrics');
    if (typeof m.auc !== 'number' || !(m.auc >= 0 && m.auc <= 1)) throw new Failure(`${file}: auc must be a number in [0, 1], got ${JSON.stringify(m.auc)}`);
    return { model: name, auc: m.auc };
  });
  // Best AUC first; ties broken by name so the choice is deterministic.
  results.sort((a, b) => b.auc - a.auc || a.model.localeCompare(b.model));
  const best = results[0];
  writeJson(values.out, { best_model: best.model, best_auc: best.auc, ranking: results });
  setOutputs({ best_model: best.model, best_auc: best.auc.toFixed(4) });
  console.log(`select: best_model=${best.model} best_auc=${best.auc.toFixed(4)} (of ${results.map((r) => `${r.model}=${r.auc.toFixed(4)}`).join(', ')})`);
});
