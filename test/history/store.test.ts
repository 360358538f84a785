import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRow, type HistoryRow } from '../../src/history/row.js';
import { appendHistory, readHistory } from '../../src/history/store.js';
import { REPO } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'dagline-history-'));
  made.push(dir);
  return dir;
};

const rowsOf = (run: string, tasks: number, end = new Date().toISOString()): HistoryRow[] =>
  Array.from({ length: tasks }, (_, t) => ({ run, ds: '2024-03-01', id: `t${t}`, name: `t${t}`, status: 'succeeded', cached: false, durationMs: 10, attempts: 1, exitCode: 0, end }));

const files = (dir: string): string[] => readdirSync(join(dir, 'p')).filter((f) => f.endsWith('.jsonl'));

/** Runs per task, and tasks per run, of what the store reads back. */
function read(dir: string, keep?: number): { runs: Map<string, number>; tasks: Map<string, number> } {
  const history = readHistory(dir, 'p', keep);
  if (!history.ok) throw new Error(history.error);
  const count = (key: (r: HistoryRow) => string) => new Map([...Map.groupBy(history.value, key)].map(([k, list]) => [k, list.length]));
  return { runs: count((r) => r.run), tasks: count((r) => r.id) };
}

describe('the history store', () => {
  it('reads nothing before the first run, and compacts into one bounded file once ten files have gathered', () => {
    const dir = tempDir();
    expect(readHistory(dir, 'p')).toEqual({ ok: true, value: [] });
    const append = (i: number) => expect(appendHistory(dir, 'p', rowsOf(`r${i}`, 3, new Date(Date.UTC(2024, 2, 1, 0, i)).toISOString()), 5).ok).toBe(true);
    for (let i = 0; i < 9; i++) append(i);
    expect(files(dir)).toHaveLength(9);
    expect([...read(dir, 5).runs.keys()]).toEqual(['r4', 'r5', 'r6', 'r7', 'r8']);
    append(9);
    expect(files(dir)).toHaveLength(1);
    const onDisk = readFileSync(join(dir, 'p', files(dir)[0] ?? ''), 'utf8').trim().split('\n').map(parseRow);
    expect(onDisk).toHaveLength(15);
    expect([...new Set(onDisk.map((r) => r?.run))]).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
  });

  it('bounds cached and executed runs apart: nights restored from the cache do not push out the runs that ran', () => {
    const dir = tempDir();
    const at = (i: number) => new Date(Date.UTC(2024, 2, 1, 0, i)).toISOString();
    for (let i = 0; i < 3; i++) appendHistory(dir, 'p', rowsOf(`ran${i}`, 1, at(i)), 3);
    for (let i = 3; i < 12; i++) appendHistory(dir, 'p', rowsOf(`cached${i}`, 1, at(i)).map((r) => ({ ...r, status: 'cached', cached: true })), 3);
    const kept = readHistory(dir, 'p', 3);
    expect(kept.ok && kept.value.map((r) => r.run)).toEqual(['ran0', 'ran1', 'ran2', 'cached9', 'cached10', 'cached11']);
  });

  it('skips torn lines and stray temporary files, and counts a row written twice once', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'p'));
    const [first, second] = rowsOf('r1', 2);
    // A compaction killed after writing its file but before deleting what it read: the same rows twice.
    writeFileSync(join(dir, 'p', 'a.jsonl'), `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
    writeFileSync(join(dir, 'p', 'b.jsonl'), `${JSON.stringify(first)}\n${JSON.stringify(second)}\n{"run":"r2","ds":"2024-0`);
    writeFileSync(join(dir, 'p', '.c.jsonl.dagline.1-ab.tmp'), '{"run":');
    expect(read(dir)).toEqual({ runs: new Map([['r1', 2]]), tasks: new Map([['t0', 1], ['t1', 1]]) });
    expect(appendHistory(dir, 'p', rowsOf('r2', 2)).ok).toBe(true);
    expect(files(dir)).toHaveLength(3);
    expect(read(dir).runs).toEqual(new Map([['r1', 2], ['r2', 2]]));
  });
});

// ---- real processes on one folder ----

const STORE = pathToFileURL(join(REPO, 'build/history/store.js')).href;

/**
 * Appends `count` runs of `tasks` tasks, one after another, printing `committed <run>` after each; from `startAt`
 * (ms since the epoch), so that writers started together really overlap rather than each finishing first.
 */
const WRITER = `
import { appendHistory } from ${JSON.stringify(STORE)};
const [dir, writer, count, tasks, keep, startAt] = process.argv.slice(1);
await new Promise((resolve) => setTimeout(resolve, Number(startAt) - Date.now()));
for (let i = 0; i < Number(count); i++) {
  const run = writer + '-' + i;
  const end = new Date().toISOString();
  const rows = Array.from({ length: Number(tasks) }, (_, t) => ({ run, ds: '2024-03-01', id: 't' + t, name: 't' + t, status: 'succeeded', cached: false, durationMs: i, attempts: 1, exitCode: 0, end }));
  const kept = appendHistory(dir, 'p', rows, Number(keep));
  if (!kept.ok) { console.error(kept.error); process.exit(1); }
  console.log('committed ' + run);
}
`;

interface Writer {
  committed: string[];
  done: Promise<{ code: number | null; stderr: string }>;
  /** Resolves once `n` runs are committed (or the writer ended). */
  after(n: number): Promise<void>;
  kill(): void;
}

function writer(dir: string, name: string, count: number, tasks: number, keep: number, startAt = 0): Writer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, dir, name, String(count), String(tasks), String(keep), String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const committed: string[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
    for (const w of waiting.filter((w) => committed.length >= w.n)) w.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  void done.then(() => waiting.forEach((w) => w.resolve()));
  return { committed, done, after: (n) => new Promise((resolve) => waiting.push({ n, resolve })), kill: () => child.kill('SIGKILL') };
}

describe('the history store with several processes', () => {
  it('four processes appending at once lose no row', async () => {
    const dir = tempDir();
    // Measured: compacting into one fixed file name instead loses 6 to 17 of these 100 runs.
    const startAt = Date.now() + 500;
    const writers = ['w1', 'w2', 'w3', 'w4'].map((name) => writer(dir, name, 25, 20, 1000, startAt));
    for (const w of writers) expect((await w.done).code, (await w.done).stderr).toBe(0);
    const { runs, tasks } = read(dir, 1000);
    expect(runs.size).toBe(100);
    expect([...runs.values()].every((n) => n === 20)).toBe(true);
    expect([...tasks.values()].every((n) => n === 100)).toBe(true);
    // Bounded on read whatever the compactions raced into.
    expect([...read(dir, 10).tasks.values()]).toEqual(Array(20).fill(10));
  }, 60_000);

  it('a writer killed at any point leaves a readable history holding every run it committed, each whole', async () => {
    const dir = tempDir();
    const committed: string[] = [];
    for (const [n, delay] of [[1, 0], [2, 3], [3, 7], [4, 1], [5, 12], [6, 5]] as const) {
      const w = writer(dir, `k${n}`, 1000, 300, 1000);
      await w.after(n);
      await new Promise((resolve) => setTimeout(resolve, delay));
      w.kill();
      await w.done;
      committed.push(...w.committed);
      const { runs } = read(dir, 1000);
      expect(committed.filter((run) => runs.get(run) !== 300)).toEqual([]);
      // A run is in the history whole or not at all; its file is complete or absent.
      expect([...runs.values()].every((count) => count === 300)).toBe(true);
      for (const file of files(dir)) {
        const lines = readFileSync(join(dir, 'p', file), 'utf8').split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.every((line) => parseRow(line) !== undefined)).toBe(true);
      }
    }
    expect(existsSync(join(dir, 'p'))).toBe(true);
  }, 60_000);
});
