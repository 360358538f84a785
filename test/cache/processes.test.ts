import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/cache/local-store.js';
import { isManifest } from '../../src/cache/store.js';
import { listFiles, random, settle, sha256, tempDir, writeFiles } from './helpers.js';

/**
 * Real processes racing on one cache folder, and processes killed (SIGKILL) in the middle of a save or a
 * restore. The children run src/cache compiled into a temporary folder (not build/, which other work may be
 * rebuilding), through test/cache/fixtures/cache-harness.mjs.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HARNESS = join(REPO, 'test/cache/fixtures/cache-harness.mjs');
let build = '';

beforeAll(() => {
  build = tempDir('dagline-cache-build-');
  const sources = readdirSync(join(REPO, 'src/cache'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('src/cache', f));
  const tsc = spawnSync(
    process.execPath,
    [join(REPO, 'node_modules/typescript/bin/tsc'), '--outDir', build, '--rootDir', 'src', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--types', 'node', '--skipLibCheck', '--noCheck', ...sources],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  writeFileSync(join(build, 'package.json'), '{"type":"module"}\n');
}, 60_000);

interface Child {
  /** Resolves when the child printed "start" (its modules are loaded; the operation begins now). */
  started: Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

function harness(args: string[]): Child {
  const child = spawn(process.execPath, [HARNESS, ...args], { env: { ...process.env, DAGLINE_CACHE_BUILD: build }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (markStarted = r));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('start\n')) markStarted();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code, signal) => {
      markStarted();
      r({ code, signal, stdout, stderr });
    }),
  );
  return { started, done, kill: () => child.kill('SIGKILL') };
}

/** The JSON line a finished harness command printed last. */
const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as { ok: boolean; ms: number; error?: { message: string } };

/** Distinct large files cheaply: one random buffer, each copy stamped with its own name. */
const BASE = random(4 << 20);
function bigOutputs(root: string, tag: string, count: number, smallCount = 20): string[] {
  const files: Record<string, string | Uint8Array> = {};
  for (let i = 0; i < count; i++) {
    const data = Buffer.from(BASE);
    data.write(`${tag}/${i}`.padEnd(32, '.'), 0);
    files[`out/big-${String(i).padStart(2, '0')}.bin`] = data;
  }
  for (let i = 0; i < smallCount; i++) files[`out/small/${i}.txt`] = `${tag} small ${i}\n`;
  writeFiles(root, files);
  return ['out'];
}

/**
 * What must hold at every moment: each visible entry is a valid manifest whose every blob exists and hashes to
 * its name. Returns the visible keys.
 */
function checkStore(dir: string): string[] {
  const entries = join(dir, 'entries');
  if (!existsSync(entries)) return [];
  const keys: string[] = [];
  for (const name of readdirSync(entries).filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    const manifest: unknown = JSON.parse(readFileSync(join(entries, name), 'utf8'));
    expect(isManifest(manifest), name).toBe(true);
    if (!isManifest(manifest)) continue;
    for (const file of manifest.files) {
      const blob = join(dir, 'blobs', file.digest.slice(0, 2), file.digest);
      expect(existsSync(blob), `${name}: blob of ${file.path}`).toBe(true);
      const bytes = readFileSync(blob);
      expect(sha256(bytes), `${name}: blob of ${file.path}`).toBe(file.digest);
      expect(bytes.length).toBe(file.size);
    }
    keys.push(manifest.key);
  }
  return keys;
}

function expectSameFiles(a: string, b: string) {
  const files = listFiles(a);
  expect(listFiles(b)).toEqual(files);
  for (const file of files) expect(sha256(readFileSync(join(b, file))), file).toBe(sha256(readFileSync(join(a, file))));
}

describe('two processes sharing one cache folder', () => {
  it('both succeed saving the same key at once, and leave one valid entry', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = join(tempDir(), 'cache');
      const root = tempDir();
      const files = bigOutputs(root, `round${round}`, 8);
      const [a, b] = [harness(['save', dir, root, 'same', ...files]), harness(['save', dir, root, 'same', ...files])];
      const results = await Promise.all([a.done, b.done]);
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        expect(lastLine(r.stdout)).toMatchObject({ ok: true });
      }
      expect(checkStore(dir)).toEqual(['same']);
      expect(listFiles(dir).filter((f) => !f.startsWith('blobs/') && f !== 'entries/same.json')).toEqual([]);
      const target = tempDir();
      const restored = await new LocalStore(dir).restore('same', target);
      expect(restored.ok).toBe(true);
      expectSameFiles(root, target);
    }
  });

  it('both succeed saving different keys with shared content; each blob is stored once', async () => {
    const dir = join(tempDir(), 'cache');
    const root = tempDir();
    const files = bigOutputs(root, 'shared', 8);
    const results = await Promise.all([harness(['save', dir, root, 'one', ...files]).done, harness(['save', dir, root, 'two', ...files]).done]);
    expect(results.map((r) => lastLine(r.stdout).ok)).toEqual([true, true]);
    expect(checkStore(dir).sort()).toEqual(['one', 'two']);
    const usage = await new LocalStore(dir).du();
    expect(usage.ok && usage.value.blobs).toBe(8 + 20);
  });

  it('a prune racing saves never leaves an entry with a missing blob (saves refresh the blobs they reuse)', async () => {
    const dir = join(tempDir(), 'cache');
    const root = tempDir();
    const files = bigOutputs(root, 'race', 24, 5);
    await settle(); // so the stat cache trusts the outputs: saves then only check that their blobs exist
    // A short grace period: blobs of the entries prune removes go while saves reuse them.
    const saver = harness(['save-loop', dir, root, '3000', ...files]);
    const pruner = harness(['prune-loop', dir, '3300', '250']);
    const [saves, prunes] = await Promise.all([saver.done, pruner.done]);
    expect(saves.code, saves.stderr).toBe(0);
    expect(prunes.code, prunes.stderr).toBe(0);
    const outcomes = JSON.parse(saves.stdout) as string[];
    expect(outcomes.length).toBeGreaterThan(2);
    expect(outcomes.every((o) => o === 'ok'), outcomes.join('\n')).toBe(true);
    expect(JSON.parse(prunes.stdout)).toMatchObject({ entries: expect.any(Number) });
    checkStore(dir);
    // And the last save, if it outlived every prune, restores.
    const store = new LocalStore(dir);
    for (const key of checkStore(dir)) {
      const target = tempDir();
      expect((await store.restore(key, target)).ok).toBe(true);
      expectSameFiles(root, target);
    }
  }, 30_000);
});

describe('a process killed in the middle', () => {
  const FRACTIONS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.2, 1.6, 2.5, 5];

  it('of a save leaves no partial entry: every visible entry has every blob, and the folder stays usable', async () => {
    const dir = join(tempDir(), 'cache');
    const first = tempDir();
    const full = await harness(['save', dir, first, 'full', ...bigOutputs(first, 'full', 12)]).done;
    const { ms } = lastLine(full.stdout);
    expect(checkStore(dir)).toEqual(['full']);

    let killedBeforeEntry = 0;
    let completed = 0;
    const roots = new Map<string, string>([['full', first]]);
    for (const [i, fraction] of FRACTIONS.entries()) {
      const root = tempDir();
      const key = `k${i}`;
      roots.set(key, root);
      const child = harness(['save', dir, root, key, ...bigOutputs(root, key, 12)]);
      await child.started;
      setTimeout(() => child.kill(), Math.max(1, fraction * ms));
      const end = await child.done;
      const visible = checkStore(dir);
      if (visible.includes(key)) completed++;
      else {
        expect(end.signal).toBe('SIGKILL');
        killedBeforeEntry++;
      }
    }
    expect(killedBeforeEntry, 'kills that landed before the entry was written').toBeGreaterThanOrEqual(3);
    expect(completed, 'saves that finished before the kill').toBeGreaterThanOrEqual(1);

    // Every visible entry restores exactly what was saved; the killed ones can be saved again.
    const store = new LocalStore(dir);
    for (const key of checkStore(dir)) {
      const target = tempDir();
      expect((await store.restore(key, target)).ok, key).toBe(true);
      expectSameFiles(roots.get(key) ?? '', target);
    }
    const again = await store.save('k0', roots.get('k0') ?? '', ['out'], {});
    expect(again.ok).toBe(true);
    expect(checkStore(dir)).toContain('k0');
    expect(completed + killedBeforeEntry).toBe(FRACTIONS.length);
  }, 60_000);

  it('of a restore leaves every output whole: the old version or the new one, never a mix within a file', async () => {
    const dir = join(tempDir(), 'cache');
    const source = tempDir();
    const files = bigOutputs(source, 'new', 16);
    const store = new LocalStore(dir);
    expect((await store.save('entry', source, files, {})).ok).toBe(true);
    const names = listFiles(source);
    const newDigests = new Map(names.map((n) => [n, sha256(readFileSync(join(source, n)))]));

    const target = tempDir();
    const oldFiles = () => {
      rmSync(join(target, 'out'), { recursive: true, force: true });
      bigOutputs(target, 'old', 16);
    };
    oldFiles();
    const oldDigests = new Map(names.map((n) => [n, sha256(readFileSync(join(target, n)))]));
    const timed = await harness(['restore', dir, target, 'entry']).done;
    const { ms } = lastLine(timed.stdout);

    for (const fraction of FRACTIONS) {
      oldFiles();
      const child = harness(['restore', dir, target, 'entry']);
      await child.started;
      setTimeout(() => child.kill(), Math.max(1, fraction * ms));
      await child.done;
      for (const name of listFiles(target)) {
        if (!newDigests.has(name)) {
          expect(name, 'only temporary files besides the outputs').toMatch(/(^|\/)\.[^/]+\.dagline\.\d+-[0-9a-f]+\.tmp$/);
          continue;
        }
        const digest = sha256(readFileSync(join(target, name)));
        expect([oldDigests.get(name), newDigests.get(name)], name).toContain(digest);
      }
    }
    // Whatever was killed, a restore afterwards completes.
    expect((await store.restore('entry', target)).ok).toBe(true);
    for (const name of names) expect(sha256(readFileSync(join(target, name)))).toBe(newDigests.get(name));
  }, 60_000);
});
