import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../src/cache/file-digest.js';
import { explainDifference, fingerprintTask, MISSING, partsDigest, type Fingerprint, type FingerprintPart } from '../../src/cache/fingerprint.js';
import { compileAt, fingerprintAll, settle, sha256, tempRepo, writeFiles } from './helpers.js';

const PIPELINE = `version: 1
tasks:
  extract:
    run: python scripts/extract.py --date \${{ run.ds }} --out data/raw.csv
    inputs: [scripts/extract.py]
    outputs: [data/raw.csv]
  features:
    needs: [extract]
    run: python scripts/features.py data/raw.csv
    env: { MODE: fast, SEED: "1" }
    inputs: [scripts/features.py, data/raw.csv]
    outputs: [data/features.csv]
    timeout: 10m
  train:
    needs: [features]
    run: python scripts/train.py
    inputs: [data/features.csv]
  report:
    run: echo hi
`;

const FILES = {
  'scripts/extract.py': 'print("extract")\n',
  'scripts/features.py': 'print("features")\n',
  'data/raw.csv': 'a,b\n1,2\n',
};

/** Fingerprints `text` (compiled in `root`) and returns, per task, why it differs from `before`. */
async function changes(root: string, before: Map<string, Fingerprint>, text = PIPELINE): Promise<{ after: Map<string, Fingerprint>; reasons: Record<string, string[]> }> {
  const after = await fingerprintAll(compileAt(root, 'pipeline.yml', text));
  const reasons: Record<string, string[]> = {};
  for (const [id, fingerprint] of after) {
    const previous = before.get(id);
    const why = previous === undefined ? ['new task'] : explainDifference(previous.parts, fingerprint.parts);
    expect(why.length === 0, `${id}: reasons exactly when the digest differs`).toBe(previous?.digest === fingerprint.digest);
    if (why.length > 0) reasons[id] = why;
  }
  return { after, reasons };
}

async function baseline(files: Record<string, string> = FILES, text = PIPELINE) {
  const root = tempRepo(files);
  const before = await fingerprintAll(compileAt(root, 'pipeline.yml', text));
  return { root, before };
}

describe('fingerprintTask', () => {
  it('names its parts in a fixed order, one per input file', async () => {
    const { before } = await baseline();
    expect(before.get('features')?.parts.map((p) => p.name)).toEqual([
      'format',
      'command',
      'shell',
      'working-directory',
      'outputs',
      'env:MODE',
      'env:SEED',
      'input:data/raw.csv',
      'input:scripts/features.py',
      'needs:extract',
    ]);
    const features = before.get('features');
    expect(features?.parts.find((p) => p.name === 'input:data/raw.csv')?.digest).toBe(sha256(FILES['data/raw.csv']));
    expect(features?.parts.find((p) => p.name === 'needs:extract')?.digest).toBe(before.get('extract')?.digest);
    expect(features?.digest).toBe(partsDigest(features?.parts ?? []));
  });

  it('is deterministic: the same pipeline and files give the same digests, in another checkout too, with or without a stat cache', async () => {
    const { root, before } = await baseline();
    const again = await fingerprintAll(compileAt(root, 'pipeline.yml', PIPELINE), new StatCache(root));
    const elsewhere = tempRepo(FILES);
    const there = await fingerprintAll(compileAt(elsewhere, 'pipeline.yml', PIPELINE));
    for (const [id, fingerprint] of before) {
      expect(again.get(id)).toEqual(fingerprint);
      expect(there.get(id)).toEqual(fingerprint);
    }
    expect(new Set([...before.values()].map((f) => f.digest)).size).toBe(before.size);
  });

  it('does not change for what cannot change the outputs: timeouts, retries, conditions, descriptions, key order, touched files', async () => {
    const { root, before } = await baseline();
    const text = PIPELINE.replace('timeout: 10m', 'timeout: 1h\n    retries: 3\n    description: builds features').replace('env: { MODE: fast, SEED: "1" }', 'env: { SEED: "1", MODE: fast }');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'data/raw.csv'), later, later);
    expect((await changes(root, before, text)).reasons).toEqual({});
  });

  it('changes with the command, and says so; downstream tasks say their upstream changed', async () => {
    const { root, before } = await baseline();
    const { reasons } = await changes(root, before, PIPELINE.replace('scripts/features.py data/raw.csv', 'scripts/features.py --fast data/raw.csv'));
    expect(reasons).toEqual({ features: ['command changed'], train: ['upstream features changed'] });
  });

  it('changes with the logical date when the command uses it', async () => {
    const { root, before } = await baseline();
    const after = await fingerprintAll(compileAt(root, 'pipeline.yml', PIPELINE, '2024-03-02'));
    expect(explainDifference(before.get('extract')?.parts ?? [], after.get('extract')?.parts ?? [])).toEqual(['command changed']);
    expect(explainDifference(before.get('features')?.parts ?? [], after.get('features')?.parts ?? [])).toEqual(['upstream extract changed']);
    expect(after.get('report')?.digest).toBe(before.get('report')?.digest);
  });

  it('changes with declared env: changed, added, removed', async () => {
    const { root, before } = await baseline();
    expect((await changes(root, before, PIPELINE.replace('MODE: fast', 'MODE: slow'))).reasons).toEqual({ features: ['env MODE changed'], train: ['upstream features changed'] });
    expect((await changes(root, before, PIPELINE.replace('SEED: "1"', 'SEED: "1", TOKEN: x'))).reasons.features).toEqual(['env TOKEN added']);
    expect((await changes(root, before, PIPELINE.replace('MODE: fast, ', ''))).reasons.features).toEqual(['env MODE removed']);
  });

  it('changes with the content of an input file, and only for the tasks that read it (and their downstream)', async () => {
    const { root, before } = await baseline();
    writeFiles(root, { 'data/raw.csv': 'a,b\n9,9\n' });
    expect((await changes(root, before)).reasons).toEqual({ features: ['input data/raw.csv changed'], train: ['upstream features changed'] });
  });

  it('changes with shell, working directory and declared outputs', async () => {
    const { root, before } = await baseline();
    const tweak = (replacement: string) => PIPELINE.replace('    timeout: 10m\n', `    timeout: 10m\n${replacement}`);
    expect((await changes(root, before, tweak('    shell: sh\n'))).reasons.features).toEqual(['shell changed']);
    mkdirSync(join(root, 'scripts/sub'), { recursive: true });
    expect((await changes(root, before, tweak('    working-directory: scripts\n'))).reasons.features).toEqual(['working directory changed']);
    expect((await changes(root, before, PIPELINE.replace('outputs: [data/features.csv]', 'outputs: [data/features.csv, data/stats.json]'))).reasons.features).toEqual([
      'declared outputs changed',
    ]);
  });

  it('tells args: from run:, and each argument apart ("a b" is not "a" "b")', async () => {
    const root = tempRepo();
    const graph = compileAt(root, 'pipeline.yml', 'version: 1\ntasks:\n  one: { args: [echo, "a b"] }\n  two: { args: [echo, a, b] }\n  three: { run: echo a b }\n');
    const prints = await fingerprintAll(graph);
    expect(new Set([...prints.values()].map((f) => f.digest)).size).toBe(3);
    expect(prints.get('one')?.parts.map((p) => p.name)).not.toContain('shell');
    expect(explainDifference(prints.get('one')?.parts ?? [], prints.get('three')?.parts ?? [])).toEqual(['command changed']);
  });

  it('expands globs: a file matching later is "added", one deleted is "removed"', async () => {
    const text = 'version: 1\ntasks:\n  load:\n    run: cat data/*.csv\n    inputs: ["data/*.csv"]\n';
    const { root, before } = await baseline({ 'data/a.csv': 'a', 'data/notes.txt': 'n' }, text);
    expect(before.get('load')?.parts.filter((p) => p.name.startsWith('input:')).map((p) => p.name)).toEqual(['input:data/a.csv']);
    writeFiles(root, { 'data/b.csv': 'b', 'data/other.txt': 'not matched' });
    const added = await changes(root, before, text);
    expect(added.reasons).toEqual({ load: ['input data/b.csv added'] });
    rmSync(join(root, 'data/a.csv'));
    expect((await changes(root, added.after, text)).reasons).toEqual({ load: ['input data/a.csv removed'] });
  });

  it('expands folders recursively, without .git or .dagline folders, and sorts the files', async () => {
    const text = 'version: 1\ntasks:\n  build:\n    run: make\n    inputs: [src, "docs/"]\n';
    const files = { 'src/z.py': 'z', 'src/lib/a.py': 'a', 'src/.hidden': 'h', 'src/.git/HEAD': 'x', 'src/.dagline/cache/blob': 'x', 'docs/index.md': '#' };
    const { root, before } = await baseline(files, text);
    expect(before.get('build')?.parts.filter((p) => p.name.startsWith('input:')).map((p) => p.name)).toEqual([
      'input:docs/index.md',
      'input:src/.hidden',
      'input:src/lib/a.py',
      'input:src/z.py',
    ]);
    writeFiles(root, { 'src/.git/HEAD': 'y', 'src/.dagline/cache/blob': 'y' });
    expect((await changes(root, before, text)).reasons).toEqual({});
    writeFiles(root, { 'src/lib/a.py': 'A' });
    expect((await changes(root, before, text)).reasons).toEqual({ build: ['input src/lib/a.py changed'] });
  });

  it('counts a missing input as a part (it may be produced upstream), and says when it appears or goes', async () => {
    const { root, before } = await baseline({ 'scripts/extract.py': 'e', 'scripts/features.py': 'f' });
    expect(before.get('features')?.parts.find((p) => p.name === 'input:data/raw.csv')).toEqual({ name: 'input:data/raw.csv', digest: MISSING });
    writeFiles(root, { 'data/raw.csv': 'rows' });
    const appeared = await changes(root, before);
    expect(appeared.reasons.features).toEqual(['input data/raw.csv appeared']);
    rmSync(join(root, 'data/raw.csv'));
    expect((await changes(root, appeared.after)).reasons.features).toEqual(['input data/raw.csv is missing']);
  });

  it('names inputs relative to the pipeline folder, and counts where the pipeline lives (outputs are restored there)', async () => {
    const root = tempRepo({ 'a/pipeline-data/x.csv': 'x', 'shared/lib.py': 'lib', 'b/pipeline-data/x.csv': 'x' });
    const text = 'version: 1\ntasks:\n  t:\n    run: cat pipeline-data/x.csv\n    inputs: [pipeline-data/x.csv, ../shared/lib.py]\n    outputs: [out.txt]\n';
    const a = await fingerprintAll(compileAt(root, 'a/pipeline.yml', text));
    const b = await fingerprintAll(compileAt(root, 'b/pipeline.yml', text));
    expect(a.get('t')?.parts.filter((p) => p.name.startsWith('input:')).map((p) => p.name)).toEqual(['input:../shared/lib.py', 'input:pipeline-data/x.csv']);
    expect(explainDifference(a.get('t')?.parts ?? [], b.get('t')?.parts ?? [])).toEqual(['working directory changed', 'declared outputs changed']);
  });

  it('gives every matrix instance its own fingerprint', async () => {
    const root = tempRepo();
    const text = 'version: 1\ntasks:\n  train:\n    matrix: { model: [a, b] }\n    run: python train.py\n';
    const prints = await fingerprintAll(compileAt(root, 'pipeline.yml', text));
    const [a, b] = [prints.get('train[model=a]'), prints.get('train[model=b]')];
    expect(a?.digest).not.toBe(b?.digest);
    expect(explainDifference(a?.parts ?? [], b?.parts ?? [])).toEqual(['matrix value model changed']);
  });

  it('uses the stat cache: an unchanged input is not read again, a changed one is', async () => {
    const { root } = await baseline();
    await settle();
    const cache = new StatCache(root);
    const graph = compileAt(root, 'pipeline.yml', PIPELINE);
    const first = await fingerprintAll(graph, cache);
    expect(cache.size).toBe(3);
    // A cache that remembers another digest for the unchanged file: what it says is used, so the file was not read.
    const entry = cache.entry('data/raw.csv');
    const planted = new StatCache(root, undefined, { 'data/raw.csv': { ...entry!, digest: 'f'.repeat(64) } });
    const trusted = await fingerprintAll(graph, planted);
    expect(trusted.get('features')?.parts.find((p) => p.name === 'input:data/raw.csv')?.digest).toBe('f'.repeat(64));
    // New content of the same size: the ctime moved, so the file is read again.
    writeFileSync(join(root, 'data/raw.csv'), 'a,b\n7,7\n');
    await settle();
    const second = await fingerprintAll(graph, planted);
    expect(explainDifference(first.get('features')?.parts ?? [], second.get('features')?.parts ?? [])).toEqual(['input data/raw.csv changed']);
    expect(second.get('features')?.parts.find((p) => p.name === 'input:data/raw.csv')?.digest).toBe(sha256('a,b\n7,7\n'));
  });

  it('reports an input that cannot be read as a value', async () => {
    const root = tempRepo({ 'data/raw.csv': 'x' });
    const graph = compileAt(root, 'pipeline.yml', 'version: 1\ntasks:\n  t:\n    run: "true"\n    inputs: [data/raw.csv/inner]\n');
    // data/raw.csv is a file, so data/raw.csv/inner is "missing" (ENOTDIR), not an error
    const missing = await fingerprintTask(graph.tasks[0]!, graph, new Map());
    expect(missing.ok && missing.value.parts.at(-1)).toEqual({ name: 'input:data/raw.csv/inner', digest: MISSING });
    renameSync(join(root, 'data/raw.csv'), join(root, 'data/tmp'));
    mkdirSync(join(root, 'data/raw.csv'));
    writeFileSync(join(root, 'data/raw.csv/inner'), 'now a file');
    const present = await fingerprintTask(graph.tasks[0]!, graph, new Map());
    expect(present.ok && present.value.parts.at(-1)).toEqual({ name: 'input:data/raw.csv/inner', digest: sha256('now a file') });
  });

  it('treats a missing upstream fingerprint as a bug in the caller', async () => {
    const root = tempRepo(FILES);
    const graph = compileAt(root, 'pipeline.yml', PIPELINE);
    const features = graph.tasks.find((t) => t.id === 'features');
    await expect(fingerprintTask(features!, graph, new Map())).rejects.toThrow(/extract/);
  });
});

describe('explainDifference', () => {
  const part = (name: string, digest: string): FingerprintPart => ({ name, digest });
  const base = [part('format', 'f1'), part('command', 'c1'), part('input:a', 'a1'), part('needs:x', 'x1')];

  it('is empty for equal parts and lists one reason per difference, in part order', () => {
    expect(explainDifference(base, base)).toEqual([]);
    expect(
      explainDifference(base, [part('format', 'f1'), part('command', 'c2'), part('env:K', 'k'), part('input:b', 'b1'), part('needs:x', 'x2'), part('needs:y', 'y')]),
    ).toEqual(['command changed', 'env K added', 'input a removed', 'input b added', 'upstream x changed', 'upstream y added']);
  });

  it('says only that the format changed when it did', () => {
    expect(explainDifference(base, [part('format', 'f2'), part('command', 'c2')])).toEqual(['the cache format changed']);
  });

  it('has a reason exactly when the digest differs (random parts)', () => {
    const names = fc.constantFrom('command', 'shell', 'working-directory', 'outputs', 'env:A', 'env:B', 'matrix:m', 'input:a', 'input:b', 'needs:x', 'future-part');
    const parts = fc.uniqueArray(fc.record({ name: names, digest: fc.constantFrom('1', '2', MISSING) }), { selector: (p) => p.name }).map((ps) => [part('format', 'f'), ...ps]);
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const order = (ps: FingerprintPart[]) => [...ps].sort((x, y) => (x.name < y.name ? -1 : 1));
        const same = partsDigest(order(a)) === partsDigest(order(b));
        expect(explainDifference(a, b).length === 0).toBe(same);
        expect(explainDifference(a, a)).toEqual([]);
      }),
    );
  });
});
