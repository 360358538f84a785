import { errorMessage, writeFileAtomic } from '../cache/fs-util.js';
import { fail, ok, type Result } from '../result.js';
import { send } from './http.js';

/** Writes the exposition text whole (temp file + rename), so the textfile collector never reads half of it. */
export function writeMetricsFile(path: string, text: string): Result<void, string> {
  try {
    writeFileAtomic(path, text);
    return ok(undefined);
  } catch (e) {
    return fail(`the metrics were not written to ${path}: ${errorMessage(e)}`);
  }
}

/**
 * PUTs the text to the pipeline's group, `<url>/metrics/job/dagline/pipeline/<name>`. PUT rather than POST:
 * the group belongs to this pipeline and each run's figures are complete, so the group should hold exactly
 * the last run's; with POST, the samples of a metric the last run no longer has (a declared output dropped)
 * would stay in the group forever.
 */
export async function pushMetrics(gateway: string, pipeline: string, text: string): Promise<Result<void, string>> {
  const url = `${gateway.replace(/\/+$/, '')}/metrics/job/dagline/${groupingLabel('pipeline', pipeline)}`;
  const sent = await send(url, { method: 'PUT', contentType: 'text/plain; version=0.0.4', body: text });
  return sent.ok ? sent : fail(`the metrics were not pushed to ${gateway}: ${sent.error}`);
}

/** A label of the grouping key as a path: base64url (the Pushgateway's `@base64`) when the value has a `/`. */
export function groupingLabel(name: string, value: string): string {
  return value.includes('/') || value === '' ? `${name}@base64/${Buffer.from(value).toString('base64url') || '='}` : `${name}/${encodeURIComponent(value)}`;
}
