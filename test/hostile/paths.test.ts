/**
 * Output paths that point out of the repository. Written `..` and absolute paths are refused at validation
 * (covered by test/fixtures/invalid/081, 082, 083, 084, 095, 105 and test/compile/paths.test.ts; checked here
 * once more through `dagline run`, which must run nothing). Symbolic links are only known at run time: an output
 * that is a symlink out of the repo must not be stored in the cache, and a restore must not write through a
 * symlinked folder to outside the repo. REAL `dagline run` processes with the default local cache.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagline, repository } from '../helpers/cli.js';

const DATE = ['--date', '2024-03-01'];
const outsides: string[] = [];
afterAll(() => outsides.forEach((d) => rmSync(d, { recursive: true, force: true })));

function outside(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dagline-outside-'));
  outsides.push(dir);
  writeFileSync(join(dir, 'secret.txt'), 'OUTSIDE-THE-REPO-CONTENT\n');
  return dir;
}

/** Every file below .dagline/ that holds `needle` (the local cache stores blobs by content). */
function storedWith(repo: string, needle: string): string[] {
  const dir = join(repo, '.dagline');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => readFileSync(f, 'latin1').includes(needle));
}

describe('hostile output paths', () => {
  it('`..`, absolute and climbing working-directory outputs are refused before anything runs', () => {
    const repo = repository({
      'p/pipeline.yml': `version: 1
tasks:
  canary:
    run: touch CANARY_RAN
  climb:
    run: echo x > ../../escaped.txt
    outputs: [../../escaped.txt]
  absolute:
    run: echo x > /tmp/dagline-absolute.txt
    outputs: [/tmp/dagline-absolute.txt]
  sneaky:
    run: echo x
    outputs: [out/../../../escaped.txt]
`,
    });
    const result = dagline(['run', 'p/pipeline.yml', ...DATE], { cwd: repo });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/outside the repository/);
    expect(result.stdout + result.stderr).toMatch(/is an absolute path/);
    expect(existsSync(join(repo, 'p/CANARY_RAN'))).toBe(false);
  });

  it('an output that is a symlink to a file outside the repo is not stored in the cache (the save refuses it)', () => {
    const away = outside();
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  leak:
    run: mkdir -p out && ln -sf "${join(away, 'secret.txt')}" out/model.bin && ln -sf "${join(away, 'secret.txt')}" out/dir-member.txt
    outputs: [out/model.bin]
  leak_folder:
    needs: [leak]
    run: mkdir -p out2 && ln -sf "${join(away, 'secret.txt')}" out2/inner.txt && echo mine > out2/own.txt
    outputs: [out2]
`,
    });
    const result = dagline(['run', 'pipeline.yml', ...DATE], { cwd: repo });
    expect(storedWith(repo, 'OUTSIDE-THE-REPO-CONTENT')).toEqual([]);
    // Either the run refuses the output, or it saves without following the link; it must not crash.
    expect(result.stdout + result.stderr).not.toMatch(/internal error/);
  });

  it('a restore never writes through a symlinked folder to outside the repo', () => {
    const away = outside();
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  make:
    run: test ! -L out && mkdir -p out && echo cached-result > out/result.txt
    outputs: [out/result.txt]
`,
    });
    expect(dagline(['run', 'pipeline.yml', ...DATE], { cwd: repo }).status).toBe(0);
    rmSync(join(repo, 'out'), { recursive: true });
    symlinkSync(away, join(repo, 'out'));
    // The restore is refused (a warning), so the task runs, and this one refuses a linked `out` itself.
    const again = dagline(['run', 'pipeline.yml', ...DATE], { cwd: repo });
    expect(again.stdout + again.stderr).not.toMatch(/internal error/);
    expect(again.stdout + again.stderr).toMatch(/cannot restore into out: it is a link to outside the repository/);
    expect(readdirSync(away).sort()).toEqual(['secret.txt']);
  });

  it('a symlinked output folder pointing outside, and a symlink to a folder, are not walked into (only files below the repo are stored)', () => {
    const away = outside();
    mkdirSync(join(away, 'tree'));
    writeFileSync(join(away, 'tree', 'deep.txt'), 'OUTSIDE-TREE-CONTENT\n');
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  make:
    run: mkdir -p out && echo mine > out/own.txt && ln -sfn "${join(away, 'tree')}" out/linked-dir
    outputs: [out]
`,
    });
    const result = dagline(['run', 'pipeline.yml', ...DATE], { cwd: repo });
    expect(result.stdout + result.stderr).not.toMatch(/internal error/);
    expect(storedWith(repo, 'OUTSIDE-TREE-CONTENT')).toEqual([]);
  });
});
