import type { Graph } from '../compile/graph.js';
import { evaluateAlerts, lastOutputs, type Alert } from '../alerts/evaluate.js';
import { historyDir, readHistory } from '../history/store.js';
import { pushMetrics, writeMetricsFile } from '../notify/metrics.js';
import { notifyWebhook } from '../notify/webhook.js';
import { runMetrics } from '../report/metrics.js';
import { listRuns, type RunRecord } from '../run/record.js';

export interface AfterRunOptions {
  /** `--metrics-file`. */
  metricsFile?: string | undefined;
  /** `--pushgateway`. */
  pushgateway?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** Says something that does not change the run's result; `task` when it is about one task. */
export type Warn = (message: string, task?: string) => void;

/**
 * What follows a finished run: its alerts, its metrics (file and push) and the webhook. None of them can change
 * the run's result: every failure is a warning. Call after the run's history was kept.
 */
export async function afterRun(graph: Graph, record: RunRecord, options: AfterRunOptions, warn: Warn): Promise<Alert[]> {
  const alerts = runAlerts(graph, record, warn);
  for (const alert of alerts) warn(`alert: ${alert.message}`, alert.task);
  if (options.metricsFile !== undefined || options.pushgateway !== undefined) {
    const metrics = runMetrics(graph, record);
    for (const message of metrics.warnings) warn(message);
    const written = options.metricsFile === undefined ? undefined : writeMetricsFile(options.metricsFile, metrics.text);
    if (written?.ok === false) warn(written.error);
    const pushed = options.pushgateway === undefined ? undefined : await pushMetrics(options.pushgateway, graph.pipeline, metrics.text);
    if (pushed?.ok === false) warn(pushed.error);
  }
  const notified = await notifyWebhook(graph.notify, record, alerts, options.env);
  if (!notified.ok) warn(notified.error);
  return alerts;
}

/** The run's alerts against the history and the records of the pipeline's earlier runs (this run left out). */
function runAlerts(graph: Graph, record: RunRecord, warn: Warn): Alert[] {
  // Every rule but failure_rate looks at tasks that ran: a run restored from the cache has nothing to compare.
  const ran = Object.values(record.tasks).some((t) => t.status === 'succeeded' || t.status === 'failed');
  if (!ran && !graph.tasks.some((t) => t.alerts?.failureRate)) return [];
  const history = readHistory(historyDir(graph.root), graph.pipeline);
  if (!history.ok) {
    warn(`alerts were not evaluated: ${history.error}`);
    return [];
  }
  // Reading every earlier record costs a file per run: only a `drop` bound needs it.
  const needsOutputs = graph.tasks.some((t) => Object.values(t.alerts?.outputs ?? {}).some((b) => b.drop !== undefined));
  const earlier = needsOutputs ? listRuns(graph.root).filter((r) => r.pipeline === graph.pipeline && r.runId !== record.runId) : [];
  return evaluateAlerts(graph, record, { rows: history.value.filter((r) => r.run !== record.runId), outputs: lastOutputs(earlier) });
}
