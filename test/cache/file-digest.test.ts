import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyAndHash, digestFile, StatCache } from '../../src/cache/file-digest.js';
import { isRoot, listFiles, modeOf, random, settle, sha256, tempDir } from './helpers.js';

/** Sizes around the single-read limit (64 KiB) and the chunk size (1 MiB). */
const SIZES = [0, 1, 65_535, 65_536, 65_537, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17];

const digestOf = async (path: string, cache?: StatCache) => {
  const result = await digestFile(path, cache);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

describe('digestFile', () => {
  it('is the sha256 of the content, whatever the size', async () => {
    const dir = tempDir();
    for (const size of SIZES) {
      const data = random(size);
      const path = join(dir, `f${size}`);
      writeFileSync(path, data);
      const digest = await digestOf(path);
      expect(digest, `size ${size}`).toEqual({ digest: sha256(data), size, mode: modeOf(path), reused: false });
    }
  });

  it('reports a missing file, a folder and an unreadable file as values', async () => {
    const dir = tempDir();
    expect(await digestFile(join(dir, 'nope'))).toMatchObject({ ok: false, error: { code: 'missing' } });
    expect(await digestFile(join(dir, 'nope', 'deeper'))).toMatchObject({ ok: false, error: { code: 'missing' } });
    mkdirSync(join(dir, 'folder'));
    expect(await digestFile(join(dir, 'folder'))).toMatchObject({ ok: false, error: { code: 'not-a-file' } });
    if (!isRoot()) {
      writeFileSync(join(dir, 'secret'), 'x');
      chmodSync(join(dir, 'secret'), 0);
      expect(await digestFile(join(dir, 'secret'))).toMatchObject({ ok: false, error: { code: 'io' } });
    }
  });
});

describe('the stat cache', () => {
  it('answers for an unchanged file without reading it', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'big.bin'), random(2 << 20));
    await settle();
    const cache = new StatCache(root);
    const first = await digestOf(join(root, 'big.bin'), cache);
    expect(first.reused).toBe(false);
    expect(cache.entry('big.bin')).toMatchObject({ digest: first.digest, size: 2 << 20 });
    const second = await digestOf(join(root, 'big.bin'), cache);
    expect(second).toEqual({ ...first, reused: true });
  });

  it('notices new content of the same size even when the mtime is set back (the ctime still moves)', async () => {
    const root = tempDir();
    const path = join(root, 'data.csv');
    writeFileSync(path, 'a,b\n1,2\n');
    const mtime = new Date(Date.now() - 10_000); // whole milliseconds, so it can be set back exactly
    utimesSync(path, mtime, mtime);
    await settle();
    const cache = new StatCache(root);
    const before = await digestOf(path, cache);
    const { mtimeNs, ino } = statSync(path, { bigint: true });
    writeFileSync(path, 'a,b\n3,4\n'); // same size, same inode
    utimesSync(path, mtime, mtime);
    expect(statSync(path, { bigint: true })).toMatchObject({ ino, mtimeNs, size: 8n });
    await settle();
    const after = await digestOf(path, cache);
    expect(after.reused).toBe(false);
    expect(after.digest).toBe(sha256('a,b\n3,4\n'));
    expect(after.digest).not.toBe(before.digest);
  });

  it('notices a content change that keeps the size when the mtime changes', async () => {
    const root = tempDir();
    const path = join(root, 'data.csv');
    writeFileSync(path, 'xxxx');
    await settle();
    const cache = new StatCache(root);
    await digestOf(path, cache);
    writeFileSync(path, 'yyyy');
    await settle();
    expect(await digestOf(path, cache)).toMatchObject({ digest: sha256('yyyy'), reused: false });
  });

  it('notices a file replaced by another (new inode) with the same size and mtime', async () => {
    const root = tempDir();
    const path = join(root, 'model.pkl');
    const mtime = new Date(Date.now() - 10_000);
    writeFileSync(path, 'first');
    utimesSync(path, mtime, mtime);
    await settle();
    const cache = new StatCache(root);
    await digestOf(path, cache);
    writeFileSync(join(root, 'other'), 'other');
    utimesSync(join(root, 'other'), mtime, mtime);
    renameSync(join(root, 'other'), path);
    expect(statSync(path).mtimeMs).toBe(mtime.getTime());
    await settle();
    expect(await digestOf(path, cache)).toMatchObject({ digest: sha256('other'), reused: false });
  });

  it('re-reads a touched file and finds the same digest', async () => {
    const root = tempDir();
    const path = join(root, 'same.txt');
    writeFileSync(path, 'unchanged');
    await settle();
    const cache = new StatCache(root);
    const first = await digestOf(path, cache);
    const later = new Date(Date.now() - 1000);
    utimesSync(path, later, later);
    await settle();
    const touched = await digestOf(path, cache);
    expect(touched).toMatchObject({ digest: first.digest, reused: false });
    expect(await digestOf(path, cache)).toMatchObject({ digest: first.digest, reused: true });
  });

  it('does not remember a file changed just before it was read (a write in the same tick could go unseen)', async () => {
    const root = tempDir();
    const path = join(root, 'fresh.txt');
    writeFileSync(path, 'just written');
    const cache = new StatCache(root);
    expect((await digestOf(path, cache)).reused).toBe(false);
    expect(cache.entry('fresh.txt')).toBeUndefined();
    expect((await digestOf(path, cache)).reused).toBe(false);
    await settle();
    await digestOf(path, cache);
    expect((await digestOf(path, cache)).reused).toBe(true);
  });

  it('forgets a file that was deleted', async () => {
    const root = tempDir();
    const path = join(root, 'gone.txt');
    writeFileSync(path, 'x');
    await settle();
    const cache = new StatCache(root);
    await digestOf(path, cache);
    expect(cache.size).toBe(1);
    renameSync(path, join(root, 'elsewhere'));
    expect(await digestFile(path, cache)).toMatchObject({ ok: false, error: { code: 'missing' } });
    expect(cache.size).toBe(0);
  });

  it('shares one read between concurrent callers for the same file', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'x'), random(3 << 20));
    const cache = new StatCache(root);
    const results = await Promise.all([1, 2, 3].map(() => digestFile(join(root, 'x'), cache)));
    expect(new Set(results.map((r) => r.ok && r.value.digest)).size).toBe(1);
  });

  it('keys files by their path relative to the root, with forward slashes; files outside by their absolute path', () => {
    const cache = new StatCache('/repo');
    expect(cache.keyFor('/repo/data/raw.csv')).toBe('data/raw.csv');
    expect(cache.keyFor('/elsewhere/x')).toBe('/elsewhere/x');
    expect(cache.keyFor('/repo-other/x')).toBe('/repo-other/x');
  });

  it('saves atomically (creating its folder) and loads what it saved; an unreadable file loads as an empty cache', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'a.txt'), 'aaa');
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'b.txt'), 'bbb');
    await settle();
    const file = join(root, '.dagline', 'stat-cache.json');
    const cache = await StatCache.load(file, root);
    expect(cache.size).toBe(0);
    await digestOf(join(root, 'a.txt'), cache);
    await digestOf(join(root, 'sub', 'b.txt'), cache);
    expect(await cache.save()).toEqual({ ok: true, value: undefined });
    expect(listFiles(join(root, '.dagline'))).toEqual(['stat-cache.json']);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).files)).toEqual(['a.txt', 'sub/b.txt']);

    const loaded = await StatCache.load(file, root);
    expect(loaded.size).toBe(2);
    expect(await digestOf(join(root, 'sub', 'b.txt'), loaded)).toMatchObject({ digest: sha256('bbb'), reused: true });

    writeFileSync(file, '{"format":1,"files":{"a.txt":{"size":"oops"}}}');
    expect((await StatCache.load(file, root)).size).toBe(0);
    writeFileSync(file, '{not json');
    expect((await StatCache.load(file, root)).size).toBe(0);
    expect((await StatCache.load(join(root, 'absent.json'), root)).size).toBe(0);
  });

  it('reports a save it cannot write as a value', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'a'), 'a');
    const cache = new StatCache(root, join(root, 'a', 'stat.json'));
    await settle();
    await digestOf(join(root, 'a'), cache);
    const saved = await cache.save();
    expect(saved.ok).toBe(false);
    expect(readFileSync(join(root, 'a'), 'utf8')).toBe('a');
  });
});

describe('copyAndHash', () => {
  it('copies byte for byte, hashes what it wrote, and sets the mode', async () => {
    const dir = tempDir();
    for (const size of SIZES) {
      const data = random(size);
      writeFileSync(join(dir, `in${size}`), data);
      const copied = await copyAndHash(join(dir, `in${size}`), join(dir, `out${size}`), 0o640);
      expect(copied.ok && copied.value.digest).toBe(sha256(data));
      expect(readFileSync(join(dir, `out${size}`)).equals(data)).toBe(true);
      expect(modeOf(join(dir, `out${size}`))).toBe(0o640);
    }
  });

  it('never overwrites an existing target, and leaves no target when the source is missing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in'), 'in');
    writeFileSync(join(dir, 'out'), 'keep');
    expect(await copyAndHash(join(dir, 'in'), join(dir, 'out'), 0o644)).toMatchObject({ ok: false, error: { side: 'target', code: 'EEXIST' } });
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('keep');
    expect(await copyAndHash(join(dir, 'nope'), join(dir, 'out2'), 0o644)).toMatchObject({ ok: false, error: { side: 'source', code: 'ENOENT' } });
    expect(existsSync(join(dir, 'out2'))).toBe(false);
  });
});
