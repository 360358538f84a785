import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, dagline, repository } from '../helpers/cli.js';

const PIPELINE = `version: 1
tasks:
  first:
    run: echo ran >> first.count
  slow:
    needs: [first]
    run: if [ -f slow.count ]; then echo again >> slow.count; else echo started >> slow.count; sleep 30; fi
  after:
    needs: [slow]
    run: echo ran >> after.count
`;

function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out waiting')) : setTimeout(tick, 25));
    tick();
  });
}

interface Record {
  runId: string;
  status: string;
  tasks: { [id: string]: { status: string; attempts: unknown[] } };
}

describe('dagline run', () => {
  it('runs a pipeline, records it, and lists it', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  a: { run: echo "x=1" >> "$DAGLINE_OUTPUT" }\n  b: { needs: [a], run: echo ${{ needs.a.outputs.x }} > b.txt }\n' });
    const result = dagline(['run', '--date', '2024-03-01'], { cwd: repo });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('2 succeeded');
    expect(readFileSync(join(repo, 'b.txt'), 'utf8')).toBe('1\n');
    const runs = JSON.parse(dagline(['runs', '--format', 'json'], { cwd: repo }).stdout) as { runs: { status: string; ds: string }[] };
    expect(runs.runs).toMatchObject([{ status: 'succeeded', ds: '2024-03-01' }]);
  });

  it('exits 3 when a task fails, and prints its reason', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  a: { run: exit 4 }\n' });
    const result = dagline(['run'], { cwd: repo });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('exit code 4');
  });

  it('on SIGTERM ends running tasks, writes a valid record, exits 143; --resume finishes without re-running', async () => {
    const repo = repository({ 'pipeline.yml': PIPELINE });
    const child = spawn(process.execPath, [BIN, 'run', '--date', '2024-03-01'], { cwd: repo, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(join(repo, 'slow.count')));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);

    const runsDir = join(repo, '.dagline', 'runs');
    const { runs } = JSON.parse(dagline(['runs', '--format', 'json'], { cwd: repo }).stdout) as { runs: { runId: string }[] };
    const record = JSON.parse(readFileSync(join(runsDir, runs[0]?.runId ?? '', 'record.json'), 'utf8')) as Record;
    expect(record.status).toBe('cancelled');
    expect(Object.fromEntries(Object.entries(record.tasks).map(([id, t]) => [id, t.status]))).toEqual({ first: 'succeeded', slow: 'cancelled', after: 'cancelled' });

    const resumed = dagline(['run', '--resume', 'last'], { cwd: repo });
    expect(resumed.status).toBe(0);
    expect(readFileSync(join(repo, 'first.count'), 'utf8')).toBe('ran\n');
    expect(readFileSync(join(repo, 'slow.count'), 'utf8')).toBe('started\nagain\n');
    expect(readFileSync(join(repo, 'after.count'), 'utf8')).toBe('ran\n');
    const final = JSON.parse(readFileSync(join(runsDir, record.runId, 'record.json'), 'utf8')) as Record;
    expect(final.status).toBe('succeeded');
    expect(final.tasks.first?.attempts).toHaveLength(1);
  }, 60_000);
});
