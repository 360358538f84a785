// train: fits one model on the training split of a day's features and writes it as JSON.
// usage: node scripts/train.mjs --model xgboost --features data/features/2024-03-01.csv --out models/xgboost.json
import { args, cli, rng, safeName, writeJson } from '../../common/script-kit.mjs';
import { algorithm, readFeatures } from './models.mjs';

await cli(() => {
  const { values } = args({ model: { type: 'string' }, features: { type: 'string' }, out: { type: 'string' } }, ['model', 'features', 'out']);
  const name = safeName(values.model, '--model');
  const algo = algorithm(name);
  const { names, X, y } = readFeatures(values.features, 'train');
  const started = performance.now();
  const fitted = algo.fit(X, y, rng(`train/${name}`));
  const ms = Math.round(performance.now() - started);
  writeJson(values.out, { model: name, features: names, trained_on: values.features, train_rows: X.length, fitted });
  console.log(`train: fitted ${name} on ${X.length} rows in ${ms} ms -> ${values.out}`);
});
