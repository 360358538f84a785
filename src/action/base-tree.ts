import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, ok, type Result } from '../result.js';

/** The files of a commit, unpacked into a temporary folder; `remove()` deletes it. */
export interface BaseTree {
  dir: string;
  remove(): void;
}

/**
 * Unpacks commit `sha` of the repository at `repo` (its tracked files only, as `git archive` gives them) to
 * compare a pull request's pipelines with its base. Only git runs, never anything from the pipeline. A shallow
 * checkout (actions/checkout's default) lacks the base commit: it is fetched, one commit deep.
 */
export function checkoutBase(repo: string, sha: string): Result<BaseTree, string> {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) return fail(`\`${sha}\` is not a commit id`);
  if (!hasCommit(repo, sha)) {
    const fetched = git(repo, ['fetch', '--quiet', '--no-tags', '--depth=1', 'origin', sha]);
    if (!fetched.ok || !hasCommit(repo, sha)) return fail(`the base commit ${sha.slice(0, 12)} is not in the checkout and could not be fetched (with actions/checkout, set fetch-depth: 0)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'dagline-base-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const archive = execFileSync('git', ['-C', repo, 'archive', '--format=tar', sha], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    mkdirSync(join(dir, '.git'));
    execFileSync('tar', ['-x', '-C', dir], { input: archive, stdio: ['pipe', 'ignore', 'pipe'] });
    return ok({ dir, remove });
  } catch (e) {
    remove();
    return fail(`cannot unpack the base commit ${sha.slice(0, 12)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

function hasCommit(repo: string, sha: string): boolean {
  return git(repo, ['cat-file', '-e', `${sha}^{commit}`]).ok;
}

function git(repo: string, args: string[]): Result<string, string> {
  try {
    return ok(execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }));
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
