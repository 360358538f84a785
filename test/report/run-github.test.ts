import { describe, expect, it } from 'vitest';
import { CappedLines, GitHubReporter } from '../../src/report/run-github.js';
import { escapeData, escapeProperty, workflowCommand } from '../../src/report/workflow-commands.js';
import type { RunEvent } from '../../src/run/events.js';
import { FakeStream, out, runEnd, runStart, taskEnd, taskStart } from './fake-stream.js';

function report(events: RunEvent[], capBytes?: number): FakeStream {
  const stream = new FakeStream();
  const reporter = new GitHubReporter(stream, { env: {}, capBytes });
  for (const e of events) reporter.onEvent(e);
  reporter.close();
  return stream;
}

describe('GitHubReporter', () => {
  it('prints each task’s output as one group when it ends, even when tasks interleave', () => {
    const stream = report([
      runStart(['a', 'b', 'c']),
      taskStart('a'),
      taskStart('b'),
      out('a', 'a1\n'),
      out('b', 'b1\nb2'),
      out('a', 'a2\n'),
      out('a', 'a3'),
      taskEnd('b', { durationMs: 2500 }),
      taskEnd('a', { status: 'failed', exitCode: 3, durationMs: 3000 }),
      taskEnd('c', { status: 'upstream_failed' }),
      runEnd({ status: 'failed', durationMs: 3100 }),
    ]);
    expect(stream.lines).toEqual([
      'daily 2024-03-01: 3 tasks, concurrency 4, logs in .dagline/runs/r1',
      '▶ a',
      '▶ b',
      '::group::b',
      'b1',
      'b2',
      '::endgroup::',
      '✔ b 2.5s',
      '::group::a',
      'a1',
      'a2',
      'a3',
      '::endgroup::',
      '✖ a failed: exit code 3 (log: logs/a.log)',
      '::error title=a failed::exit code 3',
      '- c upstream_failed',
      '1 succeeded, 1 failed, 1 upstream failed in 3.1s',
    ]);
    // A whole group goes out in one write, so nothing can land inside it.
    expect(stream.writes).toContain('::group::b\nb1\nb2\n::endgroup::\n✔ b 2.5s\n');
  });

  it('keeps the attempts apart inside the group, and prints no group for a task without output', () => {
    const stream = report([
      taskStart('a'),
      out('a', 'try 1'),
      { type: 'task-retry', id: 'a', attempt: 2, maxAttempts: 4, delayMs: 1000, reason: 'exit 1' },
      taskStart('a', 2),
      out('a', 'try 2\n'),
      taskEnd('a', { attempts: 2 }),
      taskStart('quiet'),
      taskEnd('quiet', { durationMs: 10 }),
    ]);
    expect(stream.lines).toEqual([
      '▶ a',
      '↻ a: exit 1, retrying in 1.0s (attempt 2 of 4)',
      '▶ a (attempt 2)',
      '::group::a',
      'try 1',
      '↻ a: exit 1, retrying in 1.0s (attempt 2 of 4)',
      '▶ a (attempt 2)',
      'try 2',
      '::endgroup::',
      '✔ a 1.2s',
      '▶ quiet',
      '✔ quiet 10ms',
    ]);
  });

  it('escapes the group title and the error annotation', () => {
    const id = 'train[model=a,lr=0.1]';
    const stream = report([
      taskStart(id),
      out(id, 'x\n'),
      taskEnd(id, { status: 'failed', exitCode: 1, reason: '100% broken:\r\nsee above' }),
    ]);
    expect(stream.lines).toContain(`::group::${id}`);
    expect(stream.lines).toContain('::error title=train[model=a%2Clr=0.1] failed::100%25 broken:%0D%0Asee above');
    expect(report([taskStart('a%\nb'), out('a%\nb', 'x\n')]).lines).toContain('::group::a%25%0Ab');
  });

  it('caps a task’s output, keeping the start and the end, and says where the rest is', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(4, '0')}`); // 10 bytes each
    const stream = report([taskStart('big'), out('big', `${lines.join('\n')}\n`), taskEnd('big')], 1000);
    const group = stream.lines.slice(stream.lines.indexOf('::group::big') + 1, stream.lines.indexOf('::endgroup::'));
    expect(group.slice(0, 25)).toEqual(lines.slice(0, 25));
    expect(group[25]).toBe('… output truncated (900 lines omitted), see log: logs/big.log');
    expect(group.slice(26)).toEqual(lines.slice(925));
  });

  it('holds at most the cap in memory', () => {
    const capped = new CappedLines(1024);
    for (let i = 0; i < 100_000; i++) capped.push('0123456789abcdef');
    const kept = capped.lines(() => '…');
    expect(kept.join('\n').length).toBeLessThanOrEqual(1024);
    expect(kept.length - 1 + capped.omitted).toBe(100_000);
    expect(kept.at(-1)).toBe('0123456789abcdef');
  });

  it('does not truncate output under the cap', () => {
    const capped = new CappedLines(100);
    for (let i = 0; i < 9; i++) capped.push('123456789');
    expect(capped.omitted).toBe(0);
    expect(capped.lines(() => '…')).toHaveLength(9);
  });

  it('prints the groups of tasks that never ended on close', () => {
    expect(report([taskStart('a'), out('a', 'partial')]).lines).toEqual(['▶ a', '::group::a', 'partial', '::endgroup::']);
  });

  it('writes no ANSI codes when colours are off (not a TTY)', () => {
    const stream = report([taskStart('a'), out('a', 'x\n'), taskEnd('a', { status: 'failed' }), runEnd({ status: 'failed' })]);
    expect(stream.text).not.toContain('\x1b');
  });
});

describe('workflow commands', () => {
  it('escapes data and properties', () => {
    expect(escapeData('50%\r\nok')).toBe('50%25%0D%0Aok');
    expect(escapeProperty('a:b,c%')).toBe('a%3Ab%2Cc%25');
    expect(workflowCommand('error', { title: 'x: y' }, 'a\nb')).toBe('::error title=x%3A y::a%0Ab');
    expect(workflowCommand('endgroup', {}, '')).toBe('::endgroup::');
  });
});
