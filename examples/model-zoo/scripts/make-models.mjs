// make-models: (re)generates models.json, the list the train matrix is read from (`matrix: { model: { from: models.json } }`).
// Not a pipeline task: the list must exist when the pipeline is compiled. 5 degrees x 20 ridge strengths = 100 models;
// a name is its configuration: poly<degree>-l2-<lambda>.
// usage: node scripts/make-models.mjs models.json
import { Failure, cli, writeFileAtomic } from '../../common/script-kit.mjs';

export const LAMBDAS = ['0', '1e-6', '3e-6', '1e-5', '3e-5', '1e-4', '3e-4', '1e-3', '3e-3', '1e-2', '3e-2', '1e-1', '3e-1', '1', '3', '10', '30', '100', '300', '1000'];

await cli(() => {
  const out = process.argv[2];
  if (!out || process.argv.length > 3) throw new Failure('usage: make-models.mjs <models.json>', 2);
  const names = [];
  for (let degree = 1; degree <= 5; degree++) for (const lambda of LAMBDAS) names.push(`poly${degree}-l2-${lambda}`);
  writeFileAtomic(out, `${JSON.stringify(names, null, 1)}\n`);
  console.log(`make-models: wrote ${names.length} model names to ${out}`);
});
