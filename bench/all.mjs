#!/usr/bin/env node
// `npm run bench`: bench/compile, bench/run and bench/cache in turn (each prints its own table as it ends), then one
// table of every figure with its baseline from the same run, the ratio, the target from the issues, pass or fail and
// the peak RSS of the dagline process measured. `--json FILE` also writes that table's rows, with the date and the
// machine, to FILE. Exits 1 when a figure misses its target. Each bench also runs alone: `node bench/cache.mjs`.
import { writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { table } from './measure.mjs';

const { values } = parseArgs({ options: { json: { type: 'string' }, only: { type: 'string' } } });
const BENCHES = ['compile', 'run', 'cache'];
const selected = values.only ? values.only.split(',') : BENCHES;
for (const name of selected) if (!BENCHES.includes(name)) throw new Error(`unknown bench ${name}: ${BENCHES.join(', ')}`);

const started = new Date();
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const machine = `${cpus().length}-core ${platform()} ${arch()} (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.versions.node}`;
const loadBefore = load();
const figures = [];
for (const name of selected) {
  const start = Date.now();
  const { run } = await import(`./${name}.mjs`);
  const result = await run();
  console.log(`${result.title} (${((Date.now() - start) / 1000).toFixed(0)} s)\n\n${table(result.rows)}\n`);
  figures.push(...result.figures);
}

const failed = figures.filter((f) => f.result === 'FAIL');
console.log(`All figures, ${started.toISOString().slice(0, 10)}, ${machine}, load average ${loadBefore} before and ${load()} after:\n`);
console.log(table(figures));
console.log(`\n${failed.length ? `${failed.length} of ${figures.filter((f) => f.result !== '-').length} targets missed` : 'every target met'}.`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ date: started.toISOString(), machine, load: { before: loadBefore, after: load() }, figures }, null, 2)}\n`);
if (failed.length) process.exitCode = 1;
