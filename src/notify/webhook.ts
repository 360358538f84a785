import type { Notify, NotifyOn } from '../compile/graph.js';
import type { Alert } from '../alerts/evaluate.js';
import { fail, ok, type Result } from '../result.js';
import type { RunRecord } from '../run/record.js';
import { send } from './http.js';

export interface WebhookBody {
  pipeline: string;
  runId: string;
  date: string;
  status: RunRecord['status'];
  failedTasks: string[];
  durationSeconds: number;
  /** Task id → seconds, for the tasks that ended. */
  durations: Record<string, number>;
  alerts: Alert[];
  /** What Slack and Teams incoming webhooks show. */
  text: string;
}

/** Why a run is worth a post under `on:`, or undefined when it is not. */
export function notifyReason(on: readonly NotifyOn[], status: RunRecord['status'], alerts: readonly Alert[]): NotifyOn | undefined {
  if (status === 'succeeded') return alerts.length > 0 && on.includes('alert') ? 'alert' : on.includes('success') ? 'success' : undefined;
  if (on.includes('failure')) return 'failure';
  return alerts.length > 0 && on.includes('alert') ? 'alert' : undefined;
}

export function webhookBody(record: RunRecord, alerts: readonly Alert[]): WebhookBody {
  const ended = Object.entries(record.tasks).filter(([, t]) => t.end !== undefined);
  const failedTasks = ended.filter(([, t]) => t.status === 'failed').map(([id]) => id);
  const durationSeconds = (Date.parse(record.endedAt ?? record.startedAt) - Date.parse(record.startedAt)) / 1000;
  const head = `Dagline: ${record.pipeline} (${record.ds}) ${record.status}${failedTasks.length > 0 ? `; failed: ${failedTasks.join(', ')}` : ''}`;
  return {
    pipeline: record.pipeline,
    runId: record.runId,
    date: record.ds,
    status: record.status,
    failedTasks,
    durationSeconds,
    durations: Object.fromEntries(ended.map(([id, t]) => [id, (t.durationMs ?? 0) / 1000])),
    alerts: [...alerts],
    text: [head, ...alerts.map((a) => `⚠ ${a.task}: ${a.message}`)].join('\n'),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** Posts the run to the pipeline's webhook when `on:` asks for it. The error never holds the URL (a secret). */
export async function notifyWebhook(notify: Notify | undefined, record: RunRecord, alerts: readonly Alert[], env: Env): Promise<Result<void, string>> {
  const webhook = notify?.webhook;
  if (webhook === undefined || notifyReason(webhook.on, record.status, alerts) === undefined) return ok(undefined);
  const url = 'literal' in webhook.url ? webhook.url.literal : env[webhook.url.env];
  if (url === undefined || url === '') return fail(`notify.webhook: $${'env' in webhook.url ? webhook.url.env : ''} is not set, so no notification was sent`);
  const sent = await send(url, { method: 'POST', contentType: 'application/json', body: JSON.stringify(webhookBody(record, alerts)) });
  return sent.ok ? sent : fail(`notify.webhook: the notification was not delivered (${sent.error})`);
}
