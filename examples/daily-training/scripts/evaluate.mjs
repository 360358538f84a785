// evaluate: scores one model on the holdout split, writes metrics/<model>.json and `auc=<value>` to $DAGLINE_OUTPUT.
// usage: node scripts/evaluate.mjs --model xgboost --model-file models/xgboost.json \
//          --features data/features/2024-03-01.csv --out metrics/xgboost.json
import { Failure, args, cli, readJson, safeName, setOutputs, writeJson } from '../../common/script-kit.mjs';
import { algorithm, auc, readFeatures } from './models.mjs';

await cli(() => {
  const { values } = args(
    { model: { type: 'string' }, 'model-file': { type: 'string' }, features: { type: 'string' }, out: { type: 'string' } },
    ['model', 'model-file', 'features', 'out'],
  );
  const name = safeName(values.model, '--model');
  const algo = algorithm(name);
  const saved = readJson(values['model-file'], 'model');
  if (saved.model !== name) throw new Failure(`${values['model-file']} holds model "${saved.model}", expected "${name}"`);
  const { names, X, y } = readFeatures(values.features, 'holdout');
  if (names.join(',') !== (saved.features ?? []).join(',')) {
    throw new Failure(`feature mismatch: model trained on [${saved.features}], features file has [${names}]`);
  }
  const scores = X.map((x) => algo.score(saved.fitted, x));
  const value = auc(scores, y);
  const accuracy = scores.filter((s, i) => (s >= (name === 'nearest_centroid' ? 0 : 0.5) ? 1 : 0) === y[i]).length / y.length;
  writeJson(values.out, { model: name, auc: Number(value.toFixed(4)), accuracy: Number(accuracy.toFixed(4)), holdout_rows: y.length, features: values.features });
  setOutputs({ auc: value.toFixed(4) });
  console.log(`evaluate: ${name} auc=${value.toFixed(4)} accuracy=${accuracy.toFixed(3)} on ${y.length} holdout rows -> ${values.out}`);
});
