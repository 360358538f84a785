// Tiny, real learning algorithms in plain JavaScript. Each model is fitted by `fit(X, y, rand)` into a plain
// JSON-able object and scored by `score(model, x)` (higher = more likely churn). The names follow the params of
// the pipeline; the algorithms are small stand-ins for the real libraries.
import { Failure, readCsv } from '../../common/script-kit.mjs';

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/** Reads a features file: rows of the given split as X (numbers) and y (0/1). */
export function readFeatures(file, split) {
  const { header, rows } = readCsv(file, 'features');
  const iSplit = header.indexOf('split');
  const iLabel = header.indexOf('label');
  const featureCols = header.map((h, i) => (h.startsWith('f_') ? i : -1)).filter((i) => i >= 0);
  if (iSplit < 0 || iLabel < 0 || featureCols.length === 0) throw new Failure(`${file}: expected columns split, label and f_*; got ${header.join(',')}`);
  const picked = rows.filter((r) => r[iSplit] === split);
  if (picked.length === 0) throw new Failure(`${file}: no rows in split "${split}"`);
  return {
    names: featureCols.map((i) => header[i]),
    X: picked.map((r) => featureCols.map((i) => Number(r[i]))),
    y: picked.map((r) => Number(r[iLabel])),
  };
}

// --- logistic regression: batch gradient descent with a little L2 ---------------------------------------------
const logistic = {
  fit(X, y) {
    const d = X[0].length;
    let w = new Array(d).fill(0);
    let b = 0;
    const lr = 0.3, l2 = 0.01, epochs = 400;
    for (let e = 0; e < epochs; e++) {
      const gw = new Array(d).fill(0);
      let gb = 0;
      X.forEach((x, i) => {
        const err = sigmoid(b + x.reduce((s, v, j) => s + v * w[j], 0)) - y[i];
        x.forEach((v, j) => (gw[j] += err * v));
        gb += err;
      });
      w = w.map((wj, j) => wj - lr * (gw[j] / X.length + l2 * wj));
      b -= (lr * gb) / X.length;
    }
    return { weights: w, bias: b, epochs };
  },
  score: (m, x) => sigmoid(m.bias + x.reduce((s, v, j) => s + v * m.weights[j], 0)),
};

// --- a regression/classification tree on a few candidate thresholds (used by the two ensembles) --------------
function thresholds(values, count = 12) {
  const sorted = [...values].sort((a, b) => a - b);
  const out = new Set();
  for (let k = 1; k < count; k++) out.add(sorted[Math.floor((k / count) * (sorted.length - 1))]);
  return [...out];
}

/** Best split of `idx` on `features` minimising the squared error of `target`; null when nothing helps. */
function bestSplit(X, target, idx, features, minLeaf) {
  let best = null;
  for (const f of features) {
    for (const t of thresholds(idx.map((i) => X[i][f]))) {
      let nl = 0, sl = 0, ql = 0, nr = 0, sr = 0, qr = 0;
      for (const i of idx) {
        const v = target[i];
        if (X[i][f] <= t) { nl++; sl += v; ql += v * v; } else { nr++; sr += v; qr += v * v; }
      }
      if (nl < minLeaf || nr < minLeaf) continue;
      const sse = ql - (sl * sl) / nl + (qr - (sr * sr) / nr);
      if (!best || sse < best.sse) best = { feature: f, threshold: t, sse };
    }
  }
  return best;
}

function growTree(X, target, idx, depth, pickFeatures, leafValue, minLeaf = 5) {
  const split = depth > 0 ? bestSplit(X, target, idx, pickFeatures(), minLeaf) : null;
  if (!split) return { leaf: leafValue(idx) };
  const left = idx.filter((i) => X[i][split.feature] <= split.threshold);
  const right = idx.filter((i) => X[i][split.feature] > split.threshold);
  return {
    feature: split.feature,
    threshold: split.threshold,
    left: growTree(X, target, left, depth - 1, pickFeatures, leafValue, minLeaf),
    right: growTree(X, target, right, depth - 1, pickFeatures, leafValue, minLeaf),
  };
}

const predictTree = (node, x) => ('leaf' in node ? node.leaf : predictTree(x[node.feature] <= node.threshold ? node.left : node.right, x));
const allFeatures = (X) => X[0].map((_, j) => j);

// --- "xgboost": gradient-boosted depth-2 trees on the logistic loss, Newton leaf values as in XGBoost ---------
const boosted = {
  fit(X, y) {
    const rounds = 40, eta = 0.3, lambda = 1, depth = 2;
    const prior = y.reduce((s, v) => s + v, 0) / y.length;
    const base = Math.log(prior / (1 - prior));
    const margin = new Array(X.length).fill(base);
    const idx = X.map((_, i) => i);
    const trees = [];
    for (let r = 0; r < rounds; r++) {
      const p = margin.map(sigmoid);
      const grad = p.map((pi, i) => y[i] - pi); // negative gradient
      const hess = p.map((pi) => pi * (1 - pi));
      const leafValue = (ids) => ids.reduce((s, i) => s + grad[i], 0) / (ids.reduce((s, i) => s + hess[i], 0) + lambda);
      const tree = growTree(X, grad, idx, depth, () => allFeatures(X), leafValue);
      trees.push(tree);
      X.forEach((x, i) => (margin[i] += eta * predictTree(tree, x)));
    }
    return { base, eta, trees };
  },
  score: (m, x) => sigmoid(m.base + m.eta * m.trees.reduce((s, t) => s + predictTree(t, x), 0)),
};

// --- "random_forest": bagged depth-3 trees, each split on a random subset of features -------------------------
const forest = {
  fit(X, y, rand) {
    const nTrees = 30, depth = 3;
    const d = X[0].length;
    const k = Math.max(1, Math.round(Math.sqrt(d)));
    const trees = [];
    for (let t = 0; t < nTrees; t++) {
      const sample = X.map(() => Math.floor(rand() * X.length));
      const pick = () => [...allFeatures(X)].sort(() => rand() - 0.5).slice(0, k);
      const leafValue = (ids) => ids.reduce((s, i) => s + y[i], 0) / ids.length;
      trees.push(growTree(X, y, sample, depth, pick, leafValue, 3));
    }
    return { trees };
  },
  score: (m, x) => m.trees.reduce((s, t) => s + predictTree(t, x), 0) / m.trees.length,
};

// --- nearest centroid: closer to the churners' mean than to the others' --------------------------------------
const centroid = {
  fit(X, y) {
    const mean = (cls) => {
      const rows = X.filter((_, i) => y[i] === cls);
      return X[0].map((_, j) => rows.reduce((s, x) => s + x[j], 0) / Math.max(rows.length, 1));
    };
    return { positive: mean(1), negative: mean(0) };
  },
  score: (m, x) => {
    const dist = (c) => Math.sqrt(x.reduce((s, v, j) => s + (v - c[j]) ** 2, 0));
    return dist(m.negative) - dist(m.positive);
  },
};

export const MODELS = {
  xgboost: boosted,
  random_forest: forest,
  logistic_regression: logistic,
  nearest_centroid: centroid,
};

export function algorithm(name) {
  const m = MODELS[name];
  if (!m) throw new Failure(`unknown model "${name}"; known models: ${Object.keys(MODELS).join(', ')}`, 2);
  return m;
}

/** Area under the ROC curve by the rank-sum (Mann–Whitney) formula, ties counted as one half. */
export function auc(scores, labels) {
  const order = scores.map((s, i) => [s, labels[i]]).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j][0] === order[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (order[k][1] === 1) rankSumPos += avgRank;
    i = j;
  }
  const pos = labels.filter((l) => l === 1).length;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new Failure(`AUC needs both classes in the holdout (got ${pos} positive, ${neg} negative)`);
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
