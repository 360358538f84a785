import { describe, expect, it } from 'vitest';
import { chooseReporter, chooseReporters } from '../../src/report/reporters.js';
import { GitHubReporter } from '../../src/report/run-github.js';
import { LiveReporter } from '../../src/report/run-live.js';
import { PlainReporter } from '../../src/report/run-plain.js';
import type { Reporter, RunEvent } from '../../src/run/events.js';
import { FakeStream, out, runEnd, taskEnd, taskStart } from './fake-stream.js';

describe('chooseReporter', () => {
  const tty = new FakeStream(true, 80);
  const pipe = new FakeStream(false);

  it.each([
    ['GitHub Actions, even on a TTY', tty, { GITHUB_ACTIONS: 'true', CI: 'true' }, GitHubReporter],
    ['GitHub Actions in a pipe', pipe, { GITHUB_ACTIONS: 'true' }, GitHubReporter],
    ['a terminal', tty, {}, LiveReporter],
    ['a terminal with CI=false', tty, { CI: 'false' }, LiveReporter],
    ['a terminal in CI', tty, { CI: 'true' }, PlainReporter],
    ['a dumb terminal', tty, { TERM: 'dumb' }, PlainReporter],
    ['a pipe', pipe, {}, PlainReporter],
    ['GITHUB_ACTIONS other than true', pipe, { GITHUB_ACTIONS: '1' }, PlainReporter],
  ])('%s', (_, stdout, env, kind) => {
    expect(chooseReporter({ stdout, env })).toBeInstanceOf(kind);
  });
});

describe('chooseReporters', () => {
  it('feeds the chosen reporter and the extra ones, and closes them all', async () => {
    const stdout = new FakeStream(false);
    const seen: string[] = [];
    let closed = false;
    const record: Reporter = { onEvent: (e) => seen.push(e.type), close: () => void (closed = true) };
    const reporter = chooseReporters({ stdout, env: {}, extra: [record] });
    const events: RunEvent[] = [taskStart('a'), out('a', 'hi'), taskEnd('a'), runEnd()];
    for (const e of events) reporter.onEvent(e);
    await reporter.close?.();
    expect(stdout.lines).toEqual(['▶ a', '[a] hi', '✔ a 1.2s', '1 succeeded in 14.2s']);
    expect(seen).toEqual(['task-start', 'task-output', 'task-end', 'run-end']);
    expect(closed).toBe(true);
  });
});
