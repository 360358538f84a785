// deploy: copies the chosen model to deploy/current.json (atomically) and records what was deployed.
// usage: node scripts/deploy.mjs --model xgboost --auc 0.83 --date 2024-03-01 --out deploy/current.json
import fs from 'node:fs';
import path from 'node:path';
import { Failure, args, cli, isoDate, readJson, safeName, writeFileAtomic, writeJson } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args(
    { model: { type: 'string' }, auc: { type: 'string' }, date: { type: 'string' }, 'models-dir': { type: 'string', default: 'models' }, out: { type: 'string' } },
    ['model', 'auc', 'date', 'out'],
  );
  const name = safeName(values.model, '--model');
  const ds = isoDate(values.date);
  const aucValue = Number(values.auc);
  if (!(aucValue >= 0 && aucValue <= 1)) throw new Failure(`--auc must be a number in [0, 1], got ${JSON.stringify(values.auc)}`, 2);
  const source = path.join(values['models-dir'], `${name}.json`);
  const model = readJson(source, 'model'); // also checks that it is valid JSON before it goes live
  if (model.model !== name) throw new Failure(`${source} holds model "${model.model}", expected "${name}"`);
  writeFileAtomic(values.out, fs.readFileSync(source));
  const meta = path.join(path.dirname(values.out), 'current.meta.json');
  writeJson(meta, { model: name, auc: aucValue, ds, source });
  console.log(`deploy: ${name} (auc ${aucValue}) from ${source} is now ${values.out}`);
});
