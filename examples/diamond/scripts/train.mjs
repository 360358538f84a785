// train: joins image and text features with the labels, fits a logistic regression on both (and, for
// comparison, on each alone) and writes the model with its holdout accuracy; accuracy=… goes to $DAGLINE_OUTPUT.
// usage: node scripts/train.mjs --image data/features/image.csv --text data/features/text.csv \
//          --labels data/prepared/labels.csv --out model/model.json
import { Failure, args, cli, readCsv, setOutputs, writeJson } from '../../common/script-kit.mjs';

function keyed(file, what) {
  const { header, rows } = readCsv(file, what);
  if (header[0] !== 'id') throw new Failure(`${file}: the first column must be id`);
  return { columns: header.slice(1), byId: new Map(rows.map((r) => [r[0], r.slice(1)])) };
}

function fitLogistic(X, y) {
  const d = X[0].length;
  const mean = X[0].map((_, j) => X.reduce((s, x) => s + x[j], 0) / X.length);
  const sd = X[0].map((_, j) => Math.sqrt(X.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / X.length) || 1);
  const Z = X.map((x) => x.map((v, j) => (v - mean[j]) / sd[j]));
  let w = new Array(d).fill(0), b = 0;
  for (let e = 0; e < 500; e++) {
    const g = new Array(d).fill(0);
    let gb = 0;
    Z.forEach((z, i) => {
      const err = 1 / (1 + Math.exp(-(b + z.reduce((s, v, j) => s + v * w[j], 0)))) - y[i];
      z.forEach((v, j) => (g[j] += err * v));
      gb += err;
    });
    w = w.map((wj, j) => wj - 0.5 * (g[j] / Z.length + 0.001 * wj));
    b -= (0.5 * gb) / Z.length;
  }
  return { mean, sd, weights: w, bias: b };
}

const predict = (m, x) => (m.bias + x.reduce((s, v, j) => s + ((v - m.mean[j]) / m.sd[j]) * m.weights[j], 0) >= 0 ? 1 : 0);
const accuracy = (m, X, y) => X.filter((x, i) => predict(m, x) === y[i]).length / y.length;

await cli(() => {
  const { values } = args({ image: { type: 'string' }, text: { type: 'string' }, labels: { type: 'string' }, out: { type: 'string' } }, ['image', 'text', 'labels', 'out']);
  const image = keyed(values.image, 'image features');
  const text = keyed(values.text, 'text features');
  const { header, rows } = readCsv(values.labels, 'labels');
  if (header.join(',') !== 'id,label,split') throw new Failure(`${values.labels}: expected columns id,label,split`);
  const features = [...image.columns, ...text.columns];
  const data = { train: { X: [], y: [] }, holdout: { X: [], y: [] } };
  for (const [id, label, split] of rows) {
    const a = image.byId.get(id), t = text.byId.get(id);
    if (!a || !t) throw new Failure(`product ${id} has no ${!a ? 'image' : 'text'} features: are the feature files from the same prepare run?`);
    if (!(split in data)) throw new Failure(`${values.labels}: product ${id} has split "${split}", expected train or holdout`);
    data[split].X.push([...a, ...t].map(Number));
    data[split].y.push(Number(label));
  }
  if (data.train.y.length < 10 || data.holdout.y.length < 5) throw new Failure(`too few rows: ${data.train.y.length} train, ${data.holdout.y.length} holdout`);
  const cols = (X, from, to) => X.map((x) => x.slice(from, to));
  const ni = image.columns.length;
  const both = fitLogistic(data.train.X, data.train.y);
  const imageOnly = fitLogistic(cols(data.train.X, 0, ni), data.train.y);
  const textOnly = fitLogistic(cols(data.train.X, ni), data.train.y);
  const metrics = {
    holdout_accuracy: accuracy(both, data.holdout.X, data.holdout.y),
    holdout_accuracy_image_only: accuracy(imageOnly, cols(data.holdout.X, 0, ni), data.holdout.y),
    holdout_accuracy_text_only: accuracy(textOnly, cols(data.holdout.X, ni), data.holdout.y),
    train_accuracy: accuracy(both, data.train.X, data.train.y),
    train_rows: data.train.y.length,
    holdout_rows: data.holdout.y.length,
  };
  for (const k of Object.keys(metrics)) if (k.includes('accuracy')) metrics[k] = Number(metrics[k].toFixed(4));
  writeJson(values.out, { features, model: both, metrics });
  setOutputs({ accuracy: metrics.holdout_accuracy });
  console.log(`train: holdout accuracy ${metrics.holdout_accuracy} (image only ${metrics.holdout_accuracy_image_only}, text only ${metrics.holdout_accuracy_text_only}) -> ${values.out}`);
});
