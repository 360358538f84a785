import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processIsLive } from '../../src/run/process-tree.js';
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

describe('dagline run --resume: what the earlier attempts left', () => {
  it('a resumed attempt does not inherit the outputs its earlier run wrote before failing', () => {
    // The first run writes an output, then fails; resumed, the task succeeds and writes nothing.
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  make:
    run: 'if [ ! -e failed-once ]; then touch failed-once; echo "model=stale" >> "$DAGLINE_OUTPUT"; exit 1; fi'
  use: { needs: [make], env: { MODEL: '\${{ needs.make.outputs.model }}' }, run: 'echo "model=$MODEL" > used' }
`,
    });
    expect(dagline(['run', '--date', '2024-03-01'], { cwd: repo }).status).toBe(3);
    expect(dagline(['run', '--resume', 'last'], { cwd: repo }).status).toBe(0);
    expect(readFileSync(join(repo, 'used'), 'utf8')).toBe('model=\n');
  });
});

describe('dagline run: interruptions and task errors', () => {
  it('on SIGINT (Ctrl-C) ends the running task and what it started, records the run as cancelled, exits 130', async () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  slow: { run: "sleep 30 & echo $! > child.pid; wait" }\n  after: { needs: [slow], run: touch after }\n' });
    const child = spawn(process.execPath, [BIN, 'run'], { cwd: repo, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(join(repo, 'child.pid')) && readFileSync(join(repo, 'child.pid'), 'utf8').endsWith('\n'));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const grandchild = Number(readFileSync(join(repo, 'child.pid'), 'utf8'));
    expect(processIsLive(grandchild)).toBe(false); // the background sleep went with its task (a zombie at most)
    const { runs } = JSON.parse(dagline(['runs', '--format', 'json'], { cwd: repo }).stdout) as { runs: { runId: string; status: string }[] };
    expect(runs[0]?.status).toBe('cancelled');
    expect(existsSync(join(repo, 'after'))).toBe(false);
  }, 30_000);

  it('an output value over 1 MiB fails the task with a clear reason, and nothing downstream runs', () => {
    const repo = repository({
      'pipeline.yml': `version: 1\ntasks:\n  big: { run: 'printf "blob=%s\\n" "$(head -c 1100000 /dev/zero | tr "\\0" x)" >> "$DAGLINE_OUTPUT"' }\n  after: { needs: [big], run: touch after }\n`,
    });
    const result = dagline(['run'], { cwd: repo });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('output `blob` is larger than 1 MiB; write large data to a file declared in `outputs:`');
    expect(result.stdout).toMatch(/after.*upstream failed|upstream_failed/);
    expect(existsSync(join(repo, 'after'))).toBe(false);
  });
});

describe('dagline run: selection, dry run, timeouts, shells', () => {
  const CHAIN = `version: 1
tasks:
  a: { run: echo a >> order }
  b: { needs: [a], run: echo b >> order }
  c: { needs: [b], run: echo c >> order }
  other: { run: echo other >> order }
`;
  const order = (repo: string) => readFileSync(join(repo, 'order'), 'utf8').trim().split('\n').sort();

  it('--only runs just the named tasks; --from runs a task and everything downstream', () => {
    const repo = repository({ 'pipeline.yml': CHAIN });
    expect(dagline(['run', '--only', 'b'], { cwd: repo }).status).toBe(0);
    expect(order(repo)).toEqual(['b']);
    // b succeeded before and is cached: --no-cache makes --from run it again.
    expect(dagline(['run', '--from', 'b', '-j', '1', '--no-cache'], { cwd: repo }).status).toBe(0);
    expect(order(repo)).toEqual(['b', 'b', 'c']);
    expect(dagline(['run', '--only', 'nope'], { cwd: repo })).toMatchObject({ status: 2, stderr: expect.stringContaining('no task `nope`') });
  });

  it('--dry-run prints the plan and runs nothing', () => {
    const repo = repository({ 'pipeline.yml': CHAIN });
    const result = dagline(['run', '--dry-run'], { cwd: repo });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/layer 0[\s\S]*a[\s\S]*layer 1[\s\S]*b[\s\S]*dry run: nothing was run/);
    expect(existsSync(join(repo, 'order'))).toBe(false);
    expect(existsSync(join(repo, '.dagline'))).toBe(false);
  });

  it('--timeout ends the whole run and exits 3', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  slow: { run: sleep 20 }\n' });
    const started = Date.now();
    const result = dagline(['run', '--timeout', '500ms'], { cwd: repo });
    expect(result.status).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('honours shell:, args: and working-directory', () => {
    const repo = repository({
      'p/pipeline.yml': `version: 1
tasks:
  py:
    shell: python3
    run: open('py.txt', 'w').write('from python')
  direct:
    args: [sh, -c, 'echo "$0" > args.txt', 'a b; c']
  nested:
    working-directory: sub
    run: pwd > here.txt
`,
      'p/sub/.keep': '',
    });
    expect(dagline(['run', 'p/pipeline.yml'], { cwd: repo }).status).toBe(0);
    expect(readFileSync(join(repo, 'p/py.txt'), 'utf8')).toBe('from python');
    expect(readFileSync(join(repo, 'p/args.txt'), 'utf8')).toBe('a b; c\n');
    expect(readFileSync(join(repo, 'p/sub/here.txt'), 'utf8').trim()).toMatch(/p\/sub$/);
  });
});

describe('dagline run: secrets', () => {
  const SECRET = 's3cr3t-value';
  const files = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : [];
  const recordOf = (repo: string): string => {
    const { runs } = JSON.parse(dagline(['runs', '--format', 'json'], { cwd: repo }).stdout) as { runs: { runId: string }[] };
    return readFileSync(join(repo, '.dagline', 'runs', runs[0]?.runId ?? '', 'record.json'), 'utf8');
  };

  it('never prints, records, caches or fingerprints a secret, while the tasks that need it get the real value', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
secrets: [API_TOKEN]
tasks:
  produce:
    run: |
      echo "token: $API_TOKEN"
      echo "on stderr: $API_TOKEN" >&2
      printf 'split: %s' "\${API_TOKEN:0:4}"; sleep 0.3; printf '%s\\n' "\${API_TOKEN:4}"
      echo "token=$API_TOKEN" >> "$DAGLINE_OUTPUT"
  check:
    needs: [produce]
    run: |
      if [ "$DAGLINE_NEEDS_PRODUCE_TOKEN" = "$API_TOKEN" ] && [ \${{ needs.produce.outputs.token }} = "$API_TOKEN" ]; then echo ok > received.txt; fi
      echo "check saw \${{ needs.produce.outputs.token }}"
`,
    });
    const result = dagline(['run', '--date', '2024-03-01'], { cwd: repo, env: { API_TOKEN: SECRET } });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(readFileSync(join(repo, 'received.txt'), 'utf8')).toBe('ok\n');
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    // The output is still shown, with the value hidden, even when the task wrote it in two pieces.
    for (const line of ['token: ***', 'on stderr: ***', 'split: ***', 'check saw ***']) expect(result.stdout).toContain(line);
    expect(result.stdout).toContain('produce not saved: its outputs hold a secret');

    const record = recordOf(repo);
    expect(record).not.toContain(SECRET);
    expect(JSON.parse(record).tasks.produce).toMatchObject({ status: 'succeeded', outputs: { token: '***' }, outputsRedacted: true });

    const stored = [...files(join(repo, '.dagline', 'cache')), ...files(join(repo, '.dagline', 'fingerprints'))];
    expect(stored.length).toBeGreaterThan(0); // `check` was saved, and its fingerprint kept
    expect(stored.filter((file) => readFileSync(file, 'latin1').includes(SECRET))).toEqual([]);

    // Not even a digest of the value is in `check`'s fingerprint: with another token it is restored, not rerun.
    const rotated = dagline(['run', '--date', '2024-03-01'], { cwd: repo, env: { API_TOKEN: 'r0tated-value' } });
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/✔ produce \d+ms/);
    expect(rotated.stdout).toContain('✔ check cached');
  });

  it('hides a secret in failure reasons; --resume runs a task whose recorded outputs were hidden again', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
secrets: [API_TOKEN]
tasks:
  login:
    run: echo ran >> login.count && echo "token=$API_TOKEN" >> "$DAGLINE_OUTPUT"
  use:
    needs: [login]
    run: |
      if [ -f go ]; then [ "$DAGLINE_NEEDS_LOGIN_TOKEN" = "$API_TOKEN" ] && touch used; else echo "$API_TOKEN" >> "$DAGLINE_OUTPUT"; fi
`,
    });
    const env = { API_TOKEN: SECRET };
    const failed = dagline(['run', '--date', '2024-03-01'], { cwd: repo, env });
    expect(failed.status).toBe(3);
    expect(failed.stdout).toContain('is not `key=value` or `key<<DELIMITER`: "***"');
    expect(failed.stdout + failed.stderr).not.toContain(SECRET);
    expect(recordOf(repo)).not.toContain(SECRET);

    writeFileSync(join(repo, 'go'), '');
    const resumed = dagline(['run', '--resume', 'last'], { cwd: repo, env });
    expect(resumed.status, resumed.stdout).toBe(0);
    expect(readFileSync(join(repo, 'login.count'), 'utf8')).toBe('ran\nran\n');
    expect(existsSync(join(repo, 'used'))).toBe(true);
  });
});
