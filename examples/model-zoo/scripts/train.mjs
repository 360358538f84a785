// train: fits one model of the zoo, a polynomial ridge regression whose configuration is its name
// (poly<degree>-l2-<lambda>), and writes its coefficients and errors. Kept tiny on purpose: the zoo is also
// used to time Dagline itself on a 100-task matrix.
// usage: node scripts/train.mjs poly3-l2-1e-4 --data data.csv --out out/poly3-l2-1e-4.json
import { Failure, args, cli, readCsv, writeJson } from '../../common/script-kit.mjs';

/** Solves A x = b (small, dense) by Gaussian elimination with partial pivoting. */
function solve(A, b) {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-12) throw new Failure('the normal equations are singular (too few distinct points for this degree)');
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

await cli(() => {
  const { values, positionals } = args({ data: { type: 'string' }, out: { type: 'string' } }, ['data', 'out'], { positionals: true });
  if (positionals.length !== 1) throw new Failure('usage: train.mjs <model-name> --data data.csv --out out/<model-name>.json', 2);
  const [name] = positionals;
  const m = /^poly([1-9])-l2-(0|[0-9]+(?:e-?[0-9]+)?)$/.exec(name);
  if (!m) throw new Failure(`model name "${name}" is not poly<degree 1-9>-l2-<lambda>, e.g. poly3-l2-1e-4`, 2);
  const degree = Number(m[1]);
  const lambda = Number(m[2]);

  const { header, rows } = readCsv(values.data, 'data');
  if (header.join(',') !== 'x,y,split') throw new Failure(`${values.data}: expected columns x,y,split, got ${header.join(',')}`);
  const points = rows.map(([x, y, split], i) => {
    if (!Number.isFinite(Number(x)) || !Number.isFinite(Number(y))) throw new Failure(`${values.data}:${i + 2}: x and y must be numbers`);
    return { x: Number(x), y: Number(y), split };
  });
  const train = points.filter((p) => p.split === 'train');
  const valid = points.filter((p) => p.split === 'valid');
  if (train.length <= degree || valid.length === 0) throw new Failure(`${values.data}: need more than ${degree} train points and at least one valid point`);

  const features = (x) => Array.from({ length: degree + 1 }, (_, k) => x ** k);
  const d = degree + 1;
  const A = Array.from({ length: d }, () => new Array(d).fill(0));
  const b = new Array(d).fill(0);
  for (const p of train) {
    const f = features(p.x);
    for (let i = 0; i < d; i++) {
      b[i] += f[i] * p.y;
      for (let j = 0; j < d; j++) A[i][j] += f[i] * f[j];
    }
  }
  for (let i = 1; i < d; i++) A[i][i] += lambda * train.length; // the intercept is not penalised
  const coef = solve(A, b);
  const rmse = (ps) => Math.sqrt(ps.reduce((s, p) => s + (features(p.x).reduce((t, v, k) => t + v * coef[k], 0) - p.y) ** 2, 0) / ps.length);
  const result = { model: name, degree, lambda, coefficients: coef.map((c) => Number(c.toFixed(6))), train_rmse: Number(rmse(train).toFixed(5)), valid_rmse: Number(rmse(valid).toFixed(5)) };
  writeJson(values.out, result);
  console.log(`train: ${name} valid_rmse=${result.valid_rmse} -> ${values.out}`);
});
