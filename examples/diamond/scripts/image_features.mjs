// image_features: per photo, brightness, contrast, top-vs-bottom brightness and edge energy.
// usage: node scripts/image_features.mjs --in data/prepared/images.jsonl --out data/features/image.csv
import { Failure, args, cli, readText, toCsv, writeFileAtomic } from '../../common/script-kit.mjs';

await cli(() => {
  const { values } = args({ in: { type: 'string' }, out: { type: 'string' } }, ['in', 'out']);
  const lines = readText(values.in, 'images').split('\n').filter(Boolean);
  const rows = lines.map((line, i) => {
    let img;
    try {
      img = JSON.parse(line);
    } catch (e) {
      throw new Failure(`${values.in}:${i + 1}: not valid JSON: ${e.message}`);
    }
    const { id, width: w, height: h, pixels: p } = img;
    if (typeof id !== 'string' || !Number.isInteger(w) || !Number.isInteger(h) || !Array.isArray(p) || p.length !== w * h || w < 2 || h < 2) {
      throw new Failure(`${values.in}:${i + 1}: expected {id, width, height, pixels[width*height]}`);
    }
    if (p.some((v) => !Number.isFinite(v) || v < 0 || v > 255)) throw new Failure(`${values.in}:${i + 1}: pixel values must be 0..255`);
    const at = (x, y) => p[y * w + x] / 255;
    const mean = p.reduce((s, v) => s + v, 0) / p.length / 255;
    const contrast = Math.sqrt(p.reduce((s, v) => s + (v / 255 - mean) ** 2, 0) / p.length);
    let top = 0, bottom = 0, edges = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (y < h / 2) top += at(x, y); else bottom += at(x, y);
        if (x + 1 < w) edges += Math.abs(at(x + 1, y) - at(x, y));
        if (y + 1 < h) edges += Math.abs(at(x, y + 1) - at(x, y));
      }
    }
    const half = (w * h) / 2;
    const edgeCount = (w - 1) * h + w * (h - 1);
    return [id, mean.toFixed(4), contrast.toFixed(4), (top / half - bottom / half).toFixed(4), (edges / edgeCount).toFixed(4)];
  });
  if (rows.length === 0) throw new Failure(`${values.in} holds no images`);
  writeFileAtomic(values.out, toCsv(['id', 'img_brightness', 'img_contrast', 'img_sky', 'img_edges'], rows));
  console.log(`image_features: ${rows.length} images -> 4 features -> ${values.out}`);
});
