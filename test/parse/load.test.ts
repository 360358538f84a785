import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipelines, MAX_FILE_BYTES } from '../../src/parse/load.js';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dagline-load-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('loadPipelines', () => {
  it('reads every *.yml and *.yaml below a folder, in a stable order, skipping hidden folders', async () => {
    const root = tree({
      'pipelines/b.yaml': 'version: 1\n',
      'pipelines/a.yml': 'version: 1\n',
      'pipelines/nested/c.yml': 'version: 1\n',
      'pipelines/.hidden/d.yml': 'version: 1\n',
      'pipelines/node_modules/e.yml': 'version: 1\n',
      'pipelines/notes.txt': 'not yaml',
    });
    const loaded = await loadPipelines(['pipelines'], root);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.documents.map((d) => d.file)).toEqual(['pipelines/a.yml', 'pipelines/b.yaml', 'pipelines/nested/c.yml']);
  });

  it('names a missing path and an empty folder', async () => {
    const root = tree({ 'empty/readme.md': '' });
    const loaded = await loadPipelines(['nope.yml', 'empty'], root);
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['DAG091', 'DAG007']);
  });

  it('refuses an oversized file before reading it', async () => {
    const root = tree({ 'big.yml': `version: 1\n#${'x'.repeat(MAX_FILE_BYTES)}\n` });
    const loaded = await loadPipelines(['big.yml'], root);
    expect(loaded.diagnostics).toMatchObject([{ code: 'DAG004', location: { file: 'big.yml', start: { line: 1, col: 1 } } }]);
  });
});
