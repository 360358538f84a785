import { errorMessage } from '../cache/fs-util.js';
import { fail, ok, type Result } from '../result.js';

/** How long a notification or a push may take before it is given up (it never holds a run's result). */
export const HTTP_TIMEOUT_MS = 10_000;

/**
 * Sends one request and reads the response. The error says what went wrong without the URL, which may be a
 * secret (a webhook's URL is its credential): callers name the destination themselves.
 */
export async function send(url: string, init: { method: string; contentType: string; body: string }): Promise<Result<void, string>> {
  try {
    const response = await fetch(url, {
      method: init.method,
      headers: { 'content-type': init.contentType },
      body: init.body,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? ok(undefined) : fail(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  } catch (e) {
    return fail(reason(e));
  }
}

function reason(e: unknown): string {
  if (e instanceof DOMException && e.name === 'TimeoutError') return `no answer within ${HTTP_TIMEOUT_MS / 1000} s`;
  const cause = (e as { cause?: unknown }).cause;
  // fetch's own message ("fetch failed") says nothing; its cause does (ECONNREFUSED, ENOTFOUND), minus the address.
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : errorMessage(e);
}
