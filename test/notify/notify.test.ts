import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { daglineAsync, repository } from '../helpers/cli.js';
import { startRecorder, unreachableUrl, type RecordingServer } from '../helpers/http-recorder.js';

const PIPELINE = `version: 1
name: nightly-etl
secrets: [HOOK_URL]
notify:
  webhook: { url_env: HOOK_URL, on: [failure, success] }
tasks:
  extract:
    run: printf 'rows=1200\\nnote=fine\\n' >> "$DAGLINE_OUTPUT"
    metrics: [rows, note]
  load:
    needs: [extract]
    run: exit \${{ params.code }}
params: { code: 0 }
`;

const servers: RecordingServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function recorder(status = 200): Promise<RecordingServer> {
  const server = await startRecorder(status);
  servers.push(server);
  return server;
}

describe('dagline run --metrics-file / --pushgateway / notify.webhook', () => {
  it('writes a .prom file a real exposition parser reads, with every family and the declared numeric outputs', async () => {
    const repo = repository({ 'pipeline.yml': PIPELINE });
    const result = await daglineAsync(['run', '--date', '2024-03-01', '--metrics-file', 'out/../dagline.prom', '-p', 'code=3'], { cwd: repo });
    expect(result.status).toBe(3);
    const families = parsePrometheusTextFormat(readFileSync(join(repo, 'dagline.prom'), 'utf8'));
    const byName = new Map(families.map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual([
      'dagline_output', 'dagline_run_duration_seconds', 'dagline_run_success', 'dagline_run_timestamp_seconds',
      'dagline_task_attempts', 'dagline_task_cached', 'dagline_task_duration_seconds', 'dagline_tasks',
    ]);
    for (const family of families) expect(family.type).toBe('GAUGE');
    const pipeline = 'nightly-etl';
    expect(byName.get('dagline_output')?.metrics).toEqual([{ value: '1200', labels: { pipeline, task: 'extract', key: 'rows' } }]);
    expect(byName.get('dagline_run_success')?.metrics).toEqual([{ value: '0', labels: { pipeline } }]);
    expect(byName.get('dagline_task_cached')?.metrics).toEqual(
      expect.arrayContaining([{ value: '0', labels: { pipeline, task: 'extract', status: 'succeeded' } }, { value: '0', labels: { pipeline, task: 'load', status: 'failed' } }]),
    );
    const counts = Object.fromEntries((byName.get('dagline_tasks')?.metrics ?? []).map((m) => [m.labels?.status, m.value]));
    expect(counts).toMatchObject({ succeeded: '1', failed: '1', cached: '0' });
    const ended = Number(byName.get('dagline_run_timestamp_seconds')?.metrics[0]?.value);
    expect(Math.abs(ended - Date.now() / 1000)).toBeLessThan(60);
    expect(readdirSync(repo).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(result.stdout + result.stderr).toContain('output `note` is declared in metrics but `fine` is not a number');
  }, 30_000);

  it('PUTs the metrics to the Pushgateway group and POSTs the run to the webhook, whose URL it never prints', async () => {
    const gateway = await recorder();
    const hook = await recorder(204);
    const repo = repository({ 'pipeline.yml': PIPELINE });
    const hookUrl = `${hook.url}/services/T000/secret-path`;
    const result = await daglineAsync(['run', '--date', '2024-03-01', '--pushgateway', gateway.url, '-p', 'code=3'], { cwd: repo, env: { HOOK_URL: hookUrl } });
    expect(result.status).toBe(3);
    expect(gateway.requests).toHaveLength(1);
    const push = gateway.requests[0];
    expect(push).toMatchObject({ method: 'PUT', path: '/metrics/job/dagline/pipeline/nightly-etl' });
    expect(push?.contentType).toContain('text/plain');
    expect(parsePrometheusTextFormat(push?.body ?? '').find((f) => f.name === 'dagline_output')?.metrics[0]?.value).toBe('1200');

    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]).toMatchObject({ method: 'POST', path: '/services/T000/secret-path', contentType: 'application/json' });
    const body = JSON.parse(hook.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({ pipeline: 'nightly-etl', date: '2024-03-01', status: 'failed', failedTasks: ['load'], alerts: [] });
    expect(Object.keys(body.durations as object).sort()).toEqual(['extract', 'load']);
    expect(body.text).toContain('nightly-etl (2024-03-01) failed; failed: load');
    expect(result.stdout + result.stderr).not.toContain('secret-path');
  }, 30_000);

  it('does not post on success unless `on` says so', async () => {
    const hook = await recorder();
    const repo = repository({ 'pipeline.yml': PIPELINE.replace('on: [failure, success]', 'on: [failure]') });
    const result = await daglineAsync(['run', '--date', '2024-03-01'], { cwd: repo, env: { HOOK_URL: hook.url } });
    expect(result.status).toBe(0);
    expect(hook.requests).toEqual([]);
  }, 30_000);

  it('an unreachable webhook and Pushgateway, or one that answers 500, leave the exit code as it was, one warning each', async () => {
    const down = await unreachableUrl();
    const failing = await recorder(500);
    const repo = repository({ 'pipeline.yml': PIPELINE });
    const ok = await daglineAsync(['run', '--date', '2024-03-01', '--pushgateway', down], { cwd: repo, env: { HOOK_URL: `${failing.url}/hook` } });
    expect(ok.status).toBe(0);
    const output = ok.stdout + ok.stderr;
    expect(output.match(/the metrics were not pushed to .*ECONNREFUSED/g)).toHaveLength(1);
    expect(output.match(/notify\.webhook: the notification was not delivered \(HTTP 500/g)).toHaveLength(1);
    expect(output).not.toContain('/hook');
    expect(failing.requests).toHaveLength(1);

    const failed = await daglineAsync(['run', '--date', '2024-03-02', '--pushgateway', down, '-p', 'code=3'], { cwd: repo, env: { HOOK_URL: down } });
    expect(failed.status).toBe(3);
    expect((failed.stdout + failed.stderr).match(/notify\.webhook: the notification was not delivered \(ECONNREFUSED\)/g)).toHaveLength(1);
  }, 30_000);

  it('an alert shows as a warning (::warning in GitHub Actions) and triggers an `on: [alert]` webhook on a successful run', async () => {
    const hook = await recorder();
    const repo = repository({
      'pipeline.yml': 'version: 1\nname: slow\nnotify: { webhook: { url_env: HOOK_URL, on: [alert] } }\nalerts: { sla: 100ms }\ntasks:\n  extract: { run: sleep 0.3 }\n',
    });
    const result = await daglineAsync(['run', '--date', '2024-03-01'], { cwd: repo, env: { HOOK_URL: hook.url, GITHUB_ACTIONS: 'true' } });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/::warning title=dagline%3A extract::alert: took \d+ms, over its SLA of 100ms/);
    const body = JSON.parse(hook.requests[0]?.body ?? '{}') as { status: string; alerts: { task: string; kind: string }[]; text: string };
    expect(body).toMatchObject({ status: 'succeeded', alerts: [{ task: 'extract', kind: 'sla' }] });
    expect(body.text).toContain('extract: took');
  }, 30_000);
});
