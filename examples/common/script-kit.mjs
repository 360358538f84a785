// Small helpers shared by the examples' scripts: argument parsing, CSV, atomic writes, a seeded PRNG and
// the `$DAGLINE_OUTPUT` convention. No dependencies: only Node's standard library.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** An expected failure (bad input, bad usage): printed as one line, no stack trace. */
export class Failure extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const scriptName = path.basename(process.argv[1] ?? 'script');

/** Runs `main`, turning a Failure (or any error) into one clear line on stderr and a non-zero exit code. */
export async function cli(main) {
  try {
    await main();
  } catch (e) {
    const code = e instanceof Failure ? e.exitCode : 1;
    process.stderr.write(`${scriptName}: error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = code;
  }
}

/** Parses argv with node:util parseArgs; a usage error exits with code 2. `required` lists mandatory options. */
export function args(options, required = [], { positionals = false } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new Failure(`usage: ${e.message}`, 2);
  }
  for (const name of required) {
    if (parsed.values[name] === undefined || parsed.values[name] === '') throw new Failure(`usage: --${name} is required`, 2);
  }
  return parsed;
}

/** Checks a YYYY-MM-DD date that exists in the calendar. */
export function isoDate(value, what = '--date') {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  if (!d || d.toISOString().slice(0, 10) !== value) throw new Failure(`${what} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`, 2);
  return value;
}

/** Writes a file atomically enough: create the folder, write a temp file next to it, rename over the target. */
export function writeFileAtomic(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJson(file, value) {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function readText(file, what = 'file') {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') throw new Failure(`${what} ${file} does not exist (did the task that writes it run?)`);
    throw new Failure(`cannot read ${what} ${file}: ${e.message}`);
  }
}

export function readJson(file, what = 'file') {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Failure(`${what} ${file} is not valid JSON: ${e.message}`);
  }
}

/** Reads a simple CSV (no quoted commas): { header: string[], rows: string[][] }. */
export function readCsv(file, what = 'CSV file') {
  const lines = readText(file, what).split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw new Failure(`${what} ${file} is empty (no header line)`);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  rows.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new Failure(`${file}:${i + 2}: expected ${header.length} fields, found ${r.length}`);
    }
  });
  return { header, rows };
}

export function toCsv(header, rows) {
  return `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
}

/** Deterministic PRNG (mulberry32) seeded by a string (FNV-1a hash): same seed, same numbers. */
export function rng(seed) {
  let h = 0x811c9dc5;
  for (const ch of String(seed)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Appends `key=value` lines to the file named by $DAGLINE_OUTPUT (read downstream as needs.<task>.outputs.<key>). */
export function setOutputs(values) {
  const lines = Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join('');
  const file = process.env.DAGLINE_OUTPUT;
  if (file) fs.appendFileSync(file, lines);
  else process.stderr.write(`${scriptName}: note: DAGLINE_OUTPUT is not set; outputs: ${lines.trim().replace(/\n/g, ' ')}\n`);
}

/** A model or file-name-safe identifier (no slashes, no dots leading out of a folder). */
export function safeName(value, what) {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(value ?? '')) {
    throw new Failure(`${what} must be letters, digits, '_' and '-', got ${JSON.stringify(value)}`, 2);
  }
  return value;
}
