import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { githubCacheAvailable } from '../../src/cache/github-availability.js';
import { GitHubStore, remoteBlobKey, remoteEntryKey } from '../../src/cache/github-store.js';
import { LocalStore } from '../../src/cache/local-store.js';
import { start, type ActionsCacheServer } from '../helpers/actions-cache-server.js';
import { random, sha256, tempDir, writeFiles } from './helpers.js';

// The real @actions/cache client (its twirp client, the Azure SDK, tar and zstd) against a loopback service.

let server: ActionsCacheServer;
let savedEnv: NodeJS.ProcessEnv;

beforeEach(async () => {
  savedEnv = { ...process.env };
  server = await start({ workspace: tempDir('dagline-workspace-') });
  Object.assign(process.env, server.env);
});

afterEach(async () => {
  process.env = savedEnv;
  await server.close();
});

/**
 * A fresh runner: the checkout (`root`, the workspace, at the same path on every runner as on GitHub) starts
 * empty, local cache folder included; only the service remembers earlier runners' saves.
 */
function machine(largeBlobBytes?: number) {
  const root = server.env.GITHUB_WORKSPACE!;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  const warnings: string[] = [];
  const local = new LocalStore(join(root, '.dagline/cache'));
  const store = new GitHubStore(local, { workspace: root, warn: (m) => warnings.push(m), largeBlobBytes });
  return { root, local, store, warnings };
}

describe('GitHubStore through @actions/cache', () => {
  it('a save on one runner is an exact-key hit on another, restored byte for byte', async () => {
    const first = machine();
    const model = random(3000);
    writeFiles(first.root, { 'out/model.bin': model, 'out/metrics.json': '{"auc":0.91}\n' });
    const saved = await first.store.save('train-abc', first.root, ['out'], { auc: '0.91' });
    expect(saved.ok).toBe(true);
    expect(server.entries().map((e) => e.key)).toEqual([remoteEntryKey('train-abc')]);

    const second = machine();
    expect(await second.store.has('train-abc')).toBe(true);
    const restored = await second.store.restore('train-abc', second.root);
    expect(restored.ok && restored.value.manifest.taskOutputs).toEqual({ auc: '0.91' });
    expect(readFileSync(join(second.root, 'out/model.bin')).equals(model)).toBe(true);
    expect(readFileSync(join(second.root, 'out/metrics.json'), 'utf8')).toBe('{"auc":0.91}\n');
    // The entry is now in the second runner's working copy; its transfer folder is gone.
    expect(await second.local.has('train-abc')).toBe(true);
    expect(readdirSync(join(second.local.dir, 'transfer'))).toEqual([]);
    expect([...first.warnings, ...second.warnings]).toEqual([]);
  });

  it('a key the service does not have is a plain miss: no download, no warning', async () => {
    const { store, root, warnings } = machine();
    expect(await store.has('nothing-here')).toBe(false);
    const restored = await store.restore('nothing-here', root);
    expect(!restored.ok && restored.error.kind).toBe('absent');
    expect(warnings).toEqual([]);
    expect(server.requests.some((r) => r.method === 'GET' && r.path.includes('/devstoreaccount1/'))).toBe(false);
  });

  it('a local hit never asks the service', async () => {
    const { store, root } = machine();
    writeFiles(root, { 'a.txt': 'a' });
    await store.save('k-local', root, ['a.txt'], {});
    const before = server.requests.length;
    expect(await store.has('k-local')).toBe(true);
    expect((await store.restore('k-local', root)).ok).toBe(true);
    expect(server.requests.length).toBe(before);
  });

  it('stores a large file once, as its own entry shared by every entry that has it', async () => {
    const first = machine(1024);
    const big = random(4096);
    const bigDigest = sha256(big);
    writeFiles(first.root, { 'data/big.bin': big, 'a.txt': 'a', 'b.txt': 'b' });
    expect((await first.store.save('one', first.root, ['data/big.bin', 'a.txt'], {})).ok).toBe(true);
    expect((await first.store.save('two', first.root, ['data/big.bin', 'b.txt'], {})).ok).toBe(true);
    const keys = server.entries().map((e) => e.key);
    expect(keys.sort()).toEqual([remoteEntryKey('one'), remoteEntryKey('two'), remoteBlobKey(bigDigest)].sort());
    // The entries' archives are small: the big blob is not in them.
    expect(server.archive(remoteEntryKey('one'))!.length).toBeLessThan(1024);

    const second = machine(1024);
    const restored = await second.store.restore('two', second.root);
    expect(restored.ok).toBe(true);
    expect(readFileSync(join(second.root, 'data/big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(second.root, 'b.txt'), 'utf8')).toBe('b');
    expect(second.warnings).toEqual([]);
  });

  it('an entry whose large blob was evicted is a miss, and nothing is written', async () => {
    const first = machine(1024);
    const big = random(2048);
    writeFiles(first.root, { 'big.bin': big });
    await first.store.save('evicted', first.root, ['big.bin'], {});
    server.evict(remoteBlobKey(sha256(big)));

    const second = machine(1024);
    const restored = await second.store.restore('evicted', second.root);
    expect(!restored.ok && restored.error.kind).toBe('absent');
    expect(existsSync(join(second.root, 'big.bin'))).toBe(false);
    expect(await second.local.has('evicted')).toBe(false);
  });

  it('an archive without a valid manifest is corrupt: reported, nothing restored', async () => {
    const first = machine();
    writeFiles(first.root, { 'a.txt': 'a', 'b.txt': 'b' });
    await first.store.save('good', first.root, ['a.txt'], {});
    await first.store.save('bad', first.root, ['b.txt'], {});
    const goodArchive = server.archive(remoteEntryKey('good'))!;
    server.tamper(remoteEntryKey('bad'), () => goodArchive);

    const second = machine();
    const restored = await second.store.restore('bad', second.root);
    expect(!restored.ok && restored.error.kind).toBe('corrupt');
    expect(existsSync(join(second.root, 'b.txt'))).toBe(false);
    expect(existsSync(join(second.root, 'a.txt'))).toBe(false);
  });

  it('a service that is down costs one warning; saves still land in the working copy', async () => {
    const { store, root, local, warnings } = machine();
    await server.down();
    writeFiles(root, { 'a.txt': 'a', 'b.txt': 'b' });
    expect((await store.save('k1', root, ['a.txt'], {})).ok).toBe(true);
    expect((await store.save('k2', root, ['b.txt'], {})).ok).toBe(true);
    expect(await local.has('k1')).toBe(true);
    expect(await store.has('elsewhere')).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GitHub Actions cache: cannot upload .*Continuing without the GitHub Actions cache/);
  });

  it('a service refusing requests (403) is a warning too, never an exception', async () => {
    const { store, root, warnings } = machine();
    server.fail({ status: 403, only: 'twirp' });
    const restored = await store.restore('k', root);
    // Reported once through warn; for the task it is a plain miss.
    expect(!restored.ok && restored.error.kind).toBe('absent');
    expect((await store.restore('k2', root)).ok).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/403/);
  });
});

describe('githubCacheAvailable', () => {
  it('follows @actions/cache: v2 needs ACTIONS_RESULTS_URL, v1 ACTIONS_CACHE_URL, both the runtime token', () => {
    expect(githubCacheAvailable(server.env)).toBe(true);
    expect(githubCacheAvailable({ ...server.env, ACTIONS_RUNTIME_TOKEN: '' })).toBe(false);
    expect(githubCacheAvailable({ ...server.env, ACTIONS_RESULTS_URL: '' })).toBe(false);
    expect(githubCacheAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'https://cache/' })).toBe(true);
    expect(githubCacheAvailable({ ...server.env, ACTIONS_CACHE_MODE: 'none' })).toBe(false);
    expect(githubCacheAvailable({})).toBe(false);
  });
});
