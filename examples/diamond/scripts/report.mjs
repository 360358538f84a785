// report: a Markdown page on the trained model: holdout accuracy against each branch alone, and the weights.
// usage: node scripts/report.mjs --model model/model.json --out reports/model.md
import { Failure, args, cli, readJson, writeFileAtomic } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args({ model: { type: 'string' }, out: { type: 'string' } }, ['model', 'out']);
  const saved = readJson(values.model, 'model');
  const { features, model, metrics } = saved;
  if (!Array.isArray(features) || !model || !Array.isArray(model.weights) || !metrics) throw new Failure(`${values.model}: expected {features, model: {weights}, metrics}`);
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  const md = [
    '# Outdoor/indoor product classifier',
    '',
    `Trained on ${metrics.train_rows} products, measured on ${metrics.holdout_rows} held out.`,
    '',
    '| features | holdout accuracy |',
    '| --- | ---: |',
    `| image only | ${pct(metrics.holdout_accuracy_image_only)} |`,
    `| text only | ${pct(metrics.holdout_accuracy_text_only)} |`,
    `| **image + text** | **${pct(metrics.holdout_accuracy)}** |`,
    '',
    '| feature | weight (standardised) |',
    '| --- | ---: |',
    ...features.map((f, j) => `| ${f} | ${model.weights[j].toFixed(3)} |`),
    '',
  ].join('\n');
  writeFileAtomic(values.out, md);
  console.log(`report: accuracy ${pct(metrics.holdout_accuracy)} (image ${pct(metrics.holdout_accuracy_image_only)}, text ${pct(metrics.holdout_accuracy_text_only)}) -> ${values.out}`);
});
