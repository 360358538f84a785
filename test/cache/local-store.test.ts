import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../src/cache/file-digest.js';
import { defaultCacheDir, LocalStore } from '../../src/cache/local-store.js';
import type { Manifest } from '../../src/cache/store.js';
import { fileSha256, inodeOf, listFiles, modeOf, random, settle, sha256, tempDir, writeFiles } from './helpers.js';

const DAY = 24 * 60 * 60_000;

function outputs(root: string) {
  writeFiles(root, {
    'models/model.pkl': random((3 << 20) + 5),
    'bin/run.sh': '#!/bin/sh\necho hi\n',
    'secret/key': 'k',
    'reports/a.json': '{"a":1}',
    'reports/nested/b.json': '{"b":2}',
    'empty.txt': '',
  });
  chmodSync(join(root, 'bin/run.sh'), 0o755);
  chmodSync(join(root, 'secret/key'), 0o600);
  chmodSync(join(root, 'models/model.pkl'), 0o644);
  return ['models/model.pkl', 'bin/run.sh', 'secret/key', 'reports', 'empty.txt'];
}

const ALL = ['bin/run.sh', 'empty.txt', 'models/model.pkl', 'reports/a.json', 'reports/nested/b.json', 'secret/key'];

function store(): LocalStore {
  return new LocalStore(join(tempDir(), 'cache'));
}

async function saved(s: LocalStore, key: string, root: string, files: string[], taskOutputs: Record<string, string> = {}, statCache?: StatCache) {
  const result = await s.save(key, root, files, taskOutputs, statCache ? { statCache } : {});
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function expectSameTree(a: string, b: string, files = ALL) {
  expect(listFiles(b)).toEqual(files);
  for (const file of files) {
    expect(readFileSync(join(b, file)).equals(readFileSync(join(a, file))), file).toBe(true);
    expect(modeOf(join(b, file)), file).toBe(modeOf(join(a, file)));
  }
}

/** Files in the cache folder that are neither blobs nor entries. */
const leftovers = (s: LocalStore) => listFiles(s.dir).filter((f) => !/^blobs\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(f) && !/^entries\/[^.][^/]*\.json$/.test(f));

describe('LocalStore save and restore', () => {
  it('round-trips files byte for byte with their modes, folders expanded, and the task outputs', async () => {
    const s = store();
    const root = tempDir();
    const files = outputs(root);
    expect(await s.has('k1')).toBe(false);
    const result = await saved(s, 'k1', root, files, { auc: '0.81', best: 'xgboost' });
    expect(result.blobsWritten).toBe(6);
    expect(result.manifest.files.map((f) => f.path)).toEqual(ALL);
    expect(await s.has('k1')).toBe(true);

    const elsewhere = tempDir();
    const restored = await s.restore('k1', elsewhere);
    expect(restored).toMatchObject({ ok: true, value: { written: ALL, unchanged: [], manifest: { taskOutputs: { auc: '0.81', best: 'xgboost' } } } });
    expectSameTree(root, elsewhere);
    expect(leftovers(s)).toEqual([]);
  });

  it('lays the folder out as blobs/ab/<sha256> (read-only) and entries/<key>.json', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'out.txt': 'hello' });
    await saved(s, 'abc', root, ['out.txt']);
    const digest = sha256('hello');
    expect(listFiles(s.dir)).toEqual([`blobs/${digest.slice(0, 2)}/${digest}`, 'entries/abc.json']);
    expect(modeOf(s.blobPath(digest))).toBe(0o444);
    const manifest = JSON.parse(readFileSync(s.entryPath('abc'), 'utf8')) as Manifest;
    expect(manifest).toEqual({ format: 1, key: 'abc', createdAt: expect.any(String), files: [{ path: 'out.txt', mode: modeOf(join(root, 'out.txt')), size: 5, digest }], taskOutputs: {} });
    expect(defaultCacheDir('/repo')).toBe('/repo/.dagline/cache');
  });

  it('leaves files that already have the right content alone (same inode), fixing only their mode', async () => {
    const s = store();
    const root = tempDir();
    const files = outputs(root);
    await saved(s, 'k', root, files);
    const inode = inodeOf(join(root, 'models/model.pkl'));
    chmodSync(join(root, 'bin/run.sh'), 0o644);
    writeFileSync(join(root, 'reports/a.json'), '{"a":2}');
    const restored = await s.restore('k', root);
    expect(restored.ok && restored.value.written).toEqual(['reports/a.json']);
    expect(restored.ok && restored.value.unchanged).toEqual(ALL.filter((f) => f !== 'reports/a.json'));
    expect(inodeOf(join(root, 'models/model.pkl'))).toBe(inode);
    expect(modeOf(join(root, 'bin/run.sh'))).toBe(0o755);
    expect(readFileSync(join(root, 'reports/a.json'), 'utf8')).toBe('{"a":1}');
  });

  it('uses the stat cache: unchanged outputs are not copied again, and unchanged files are not read on restore', async () => {
    const s = store();
    const root = tempDir();
    const files = outputs(root);
    await settle();
    const cache = new StatCache(root);
    expect((await saved(s, 'a', root, files, {}, cache)).blobsWritten).toBe(6);
    expect(cache.size).toBe(6);
    expect((await saved(s, 'b', root, files, {}, cache)).blobsWritten).toBe(0);
    // A blob deleted behind the store's back is written again, even though the stat cache knows the file.
    const digest = fileSha256(join(root, 'secret/key'));
    chmodSync(s.blobPath(digest), 0o644);
    writeFileSync(s.blobPath(digest), '');
    unlinkSync(s.blobPath(digest));
    expect((await saved(s, 'c', root, files, {}, cache)).blobsWritten).toBe(1);
    const restored = await s.restore('c', root, { statCache: cache });
    expect(restored.ok && restored.value.unchanged).toEqual(ALL);
    // What the stat cache vouches for is not read: a planted entry claiming the stored digest is believed.
    writeFileSync(join(root, 'secret/key'), 'X');
    const stats = statSync(join(root, 'secret/key'), { bigint: true });
    const planted = new StatCache(root, undefined, {
      'secret/key': { size: 1, mtimeNs: String(stats.mtimeNs), ctimeNs: String(stats.ctimeNs), ino: String(stats.ino), digest },
    });
    const trusted = await s.restore('c', root, { statCache: planted });
    expect(trusted.ok && trusted.value.unchanged).toContain('secret/key');
    expect(readFileSync(join(root, 'secret/key'), 'utf8')).toBe('X');
    expect((await s.restore('c', root)).ok && readFileSync(join(root, 'secret/key'), 'utf8')).toBe('k');
  });

  it('stores content once: entries sharing a file share its blob', async () => {
    const s = store();
    const a = tempDir();
    const b = tempDir();
    const big = random(1 << 20);
    writeFiles(a, { 'x/data.bin': big, 'x/a.txt': 'only a' });
    writeFiles(b, { 'y/copy.bin': big, 'y/b.txt': 'only b' });
    expect((await saved(s, 'one', a, ['x'])).blobsWritten).toBe(2);
    const second = await saved(s, 'two', b, ['y']);
    expect(second.blobsWritten).toBe(1);
    const usage = await s.du();
    expect(usage).toEqual({ ok: true, value: { entries: 2, blobs: 3, blobBytes: (1 << 20) + 6 + 6, temps: 0, tempBytes: 0 } });
    const listed = await s.ls();
    expect(listed.ok && listed.value.map((e) => [e.key, e.files, e.bytes])).toEqual([
      ['one', 2, (1 << 20) + 6],
      ['two', 2, (1 << 20) + 6],
    ]);
  });

  it('stores folders and globs: every file below or matching, once, with any characters in its name', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'out/a[1].csv': '1', 'out/b c.csv': '2', 'out/skip.txt': '3', 'out/deep/x.csv': '4', 'logs/l.log': 'l' });
    const result = await saved(s, 'k', root, ['out/*.csv', 'out', 'logs/'], {});
    expect(result.manifest.files.map((f) => f.path)).toEqual(['logs/l.log', 'out/a[1].csv', 'out/b c.csv', 'out/deep/x.csv', 'out/skip.txt']);
    const target = tempDir();
    expect((await s.restore('k', target)).ok).toBe(true);
    expectSameTree(root, target, ['logs/l.log', 'out/a[1].csv', 'out/b c.csv', 'out/deep/x.csv', 'out/skip.txt']);
  });

  it('saves an entry with no files (a task with only key=value outputs)', async () => {
    const s = store();
    const root = tempDir();
    await saved(s, 'k', root, [], { n: '3' });
    expect(await s.restore('k', tempDir())).toMatchObject({ ok: true, value: { written: [], manifest: { taskOutputs: { n: '3' } } } });
  });

  it('two saves of the same key at once both succeed and leave one valid entry', async () => {
    const s = store();
    const root = tempDir();
    const files = outputs(root);
    const results = await Promise.all([1, 2, 3, 4].map(() => s.save('same', root, files, { v: '1' })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(listFiles(join(s.dir, 'entries'))).toEqual(['same.json']);
    expect(leftovers(s)).toEqual([]);
    const elsewhere = tempDir();
    expect((await s.restore('same', elsewhere)).ok).toBe(true);
    expectSameTree(root, elsewhere);
  });
});

describe('LocalStore failures are values', () => {
  it('a missing entry is a miss', async () => {
    expect(await store().restore('nothing', tempDir())).toEqual({ ok: false, error: { kind: 'absent', message: 'no cache entry nothing' } });
  });

  it('a corrupt blob is a miss that names the blob; nothing is restored, nothing is left behind, the blob is dropped', async () => {
    const s = store();
    const root = tempDir();
    const files = outputs(root);
    await saved(s, 'k', root, files);
    // The workspace holds older versions of two outputs.
    const target = tempDir();
    writeFiles(target, { 'bin/run.sh': 'old script', 'models/model.pkl': 'old model' });
    const blob = s.blobPath(fileSha256(join(root, 'models/model.pkl')));
    chmodSync(blob, 0o644);
    const bytes = readFileSync(blob);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff; // same size, one byte flipped
    writeFileSync(blob, bytes);

    const restored = await s.restore('k', target);
    expect(restored).toEqual({ ok: false, error: { kind: 'corrupt', path: blob, message: expect.stringContaining('does not match its digest') } });
    expect(listFiles(target)).toEqual(['bin/run.sh', 'models/model.pkl']);
    expect(readFileSync(join(target, 'bin/run.sh'), 'utf8')).toBe('old script');
    expect(readFileSync(join(target, 'models/model.pkl'), 'utf8')).toBe('old model');
    expect(existsSync(blob)).toBe(false);

    // The next save of that output stores the blob again.
    await saved(s, 'k', root, files);
    expect((await s.restore('k', target)).ok).toBe(true);
    expectSameTree(root, target);
  });

  it('a truncated or missing blob is a miss too', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.txt': 'aaaa', 'b.txt': 'bbbb' });
    await saved(s, 'k', root, ['a.txt', 'b.txt']);
    const blobA = s.blobPath(sha256('aaaa'));
    chmodSync(blobA, 0o644);
    writeFileSync(blobA, 'aa');
    expect(await s.restore('k', tempDir())).toMatchObject({ ok: false, error: { kind: 'corrupt', path: blobA } });
    unlinkSync(s.blobPath(sha256('bbbb')));
    await saved(s, 'k2', root, ['a.txt']);
    const target = tempDir();
    const restored = await s.restore('k', target);
    expect(restored).toMatchObject({ ok: false, error: { kind: 'corrupt', message: expect.stringContaining('is missing') } });
    expect(listFiles(target)).toEqual([]);
  });

  it('a damaged manifest, or one naming a path outside the repository, is corrupt and restores nothing', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.txt': 'a' });
    await saved(s, 'k', root, ['a.txt']);
    const manifest = JSON.parse(readFileSync(s.entryPath('k'), 'utf8')) as Manifest;
    const base = tempDir();
    const target = join(base, 'repo');
    mkdirSync(target);
    for (const path of ['../escaped.txt', '/etc/evil', 'a/../../x', './a.txt']) {
      writeFileSync(s.entryPath('k'), JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], path }] }));
      expect(await s.restore('k', target), path).toMatchObject({ ok: false, error: { kind: 'corrupt' } });
    }
    expect(listFiles(base)).toEqual([]);
    writeFileSync(s.entryPath('k'), '{"format":1,');
    expect(await s.restore('k', target)).toMatchObject({ ok: false, error: { kind: 'corrupt', path: s.entryPath('k') } });
    writeFileSync(s.entryPath('k'), JSON.stringify({ ...manifest, key: 'other' }));
    expect(await s.restore('k', target)).toMatchObject({ ok: false, error: { kind: 'corrupt' } });
  });

  it('a folder where a file should go is an I/O failure, with nothing changed', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.txt': 'a', 'b.txt': 'b' });
    await saved(s, 'k', root, ['a.txt', 'b.txt']);
    const target = tempDir();
    mkdirSync(join(target, 'b.txt'));
    expect(await s.restore('k', target)).toMatchObject({ ok: false, error: { kind: 'io', path: join(target, 'b.txt') } });
    expect(listFiles(target)).toEqual([]);
  });

  it('a missing output fails the save without creating an entry or leaving temporary files', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.txt': 'a' });
    expect(await s.save('k', root, ['a.txt', 'missing.txt'], {})).toEqual({ ok: false, error: { kind: 'missing-output', path: 'missing.txt', message: 'output missing.txt does not exist' } });
    expect(await s.has('k')).toBe(false);
    expect(leftovers(s)).toEqual([]);
  });

  it('refuses output paths outside the repository, and keys that are not safe file names', async () => {
    const s = store();
    const root = tempDir();
    for (const path of ['../x', '/etc/passwd', 'a/../../x', '.']) {
      expect(await s.save('k', root, [path], {}), path).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    }
    for (const key of ['', '../x', 'a/b', '.hidden', 'x'.repeat(201)]) {
      await expect(s.has(key), key).rejects.toThrow(/invalid cache key/);
    }
  });
});

describe('LocalStore housekeeping', () => {
  const age = (path: string, ms: number) => {
    const when = new Date(Date.now() - ms);
    utimesSync(path, when, when);
  };
  const ageAll = (s: LocalStore, ms: number) => {
    for (const file of listFiles(s.dir)) age(join(s.dir, file), ms);
  };

  async function threeEntries() {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.bin': random(1000), 'b.bin': random(1000), 'c.bin': random(1000), 'shared.bin': random(500) });
    await saved(s, 'a', root, ['a.bin', 'shared.bin']);
    await saved(s, 'b', root, ['b.bin', 'shared.bin']);
    await saved(s, 'c', root, ['c.bin']);
    ageAll(s, 2 * 60_000); // everything older than the blob grace period
    age(s.entryPath('a'), 40 * DAY);
    age(s.entryPath('b'), 20 * DAY);
    age(s.entryPath('c'), 10 * DAY);
    return { s, root };
  }

  it('prune --older-than removes entries not used for that long, then the blobs nobody references', async () => {
    const { s } = await threeEntries();
    const report = await s.prune({ olderThanMs: 30 * DAY });
    expect(report).toEqual({ ok: true, value: { entriesRemoved: ['a'], blobsRemoved: 1, bytesFreed: 1000, tempsRemoved: 0, bytesLeft: 2500 } });
    expect(await s.has('a')).toBe(false);
    expect((await s.restore('b', tempDir())).ok).toBe(true);
  });

  it('prune --max-size removes least recently used entries until the rest fits; a restore counts as use', async () => {
    const { s } = await threeEntries();
    expect((await s.restore('a', tempDir())).ok).toBe(true); // a is now the most recently used
    const report = await s.prune({ maxBytes: 2000 });
    // Removing b frees only b.bin (shared.bin is still a's), so c goes too.
    expect(report.ok && report.value).toMatchObject({ entriesRemoved: ['b', 'c'], blobsRemoved: 2, bytesFreed: 2000, bytesLeft: 1500 });
    const left = await s.ls();
    expect(left.ok && left.value.map((e) => e.key)).toEqual(['a']);
  });

  it('never removes a blob younger than the grace period: a save in another process may be about to reference it', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.bin': 'young' });
    await saved(s, 'a', root, ['a.bin']);
    const report = await s.prune({ maxBytes: 0 });
    expect(report.ok && report.value).toMatchObject({ entriesRemoved: ['a'], blobsRemoved: 0, bytesLeft: 5 });
    age(s.blobPath(sha256('young')), 2 * 60_000);
    expect((await s.prune({ maxBytes: 0 })).ok && (await s.du())).toMatchObject({ ok: true, value: { blobs: 0 } });
  });

  it('a save that reuses an old blob makes it young again, so a concurrent prune cannot take it', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.bin': 'content' });
    await saved(s, 'old', root, ['a.bin']);
    const blob = s.blobPath(sha256('content'));
    age(blob, 10 * 60_000);
    const before = statSync(blob).mtimeMs;
    await saved(s, 'new', root, ['a.bin']);
    expect(statSync(blob).mtimeMs).toBeGreaterThan(before + 60_000);
  });

  it('prune removes damaged manifests and temporary files older than an hour', async () => {
    const s = store();
    const root = tempDir();
    writeFiles(root, { 'a.bin': 'a' });
    await saved(s, 'a', root, ['a.bin']);
    writeFileSync(join(s.dir, 'entries', 'broken.json'), '{');
    writeFiles(s.dir, { 'tmp/blob.1-aa.tmp': 'stale', 'tmp/blob.2-bb.tmp': 'fresh', 'entries/.x.json.dagline.3-cc.tmp': 'stale' });
    age(join(s.dir, 'tmp/blob.1-aa.tmp'), 2 * 60 * 60_000);
    age(join(s.dir, 'entries/.x.json.dagline.3-cc.tmp'), 2 * 60 * 60_000);
    expect((await s.du()).ok && (await s.du())).toMatchObject({ value: { entries: 2, temps: 3 } });
    const report = await s.prune();
    expect(report.ok && report.value).toMatchObject({ entriesRemoved: ['broken'], tempsRemoved: 2 });
    expect(readdirSync(join(s.dir, 'tmp'))).toEqual(['blob.2-bb.tmp']);
    expect(await s.has('a')).toBe(true);
  });

  it('ls lists entries oldest first with their size; du and prune work on an empty or absent folder', async () => {
    const s = store();
    expect(await s.ls()).toEqual({ ok: true, value: [] });
    expect(await s.du()).toEqual({ ok: true, value: { entries: 0, blobs: 0, blobBytes: 0, temps: 0, tempBytes: 0 } });
    expect(await s.prune({ maxBytes: 0 })).toEqual({ ok: true, value: { entriesRemoved: [], blobsRemoved: 0, bytesFreed: 0, tempsRemoved: 0, bytesLeft: 0 } });
    const root = tempDir();
    writeFiles(root, { 'a.txt': 'aa', 'b.txt': 'bbb' });
    await saved(s, 'first', root, ['a.txt']);
    await new Promise((r) => setTimeout(r, 5));
    await saved(s, 'second', root, ['a.txt', 'b.txt']);
    const listed = await s.ls();
    expect(listed.ok && listed.value).toEqual([
      { key: 'first', createdAt: expect.any(String), lastUsedAt: expect.any(String), files: 1, bytes: 2 },
      { key: 'second', createdAt: expect.any(String), lastUsedAt: expect.any(String), files: 2, bytes: 5 },
    ]);
  });
});
