import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A loopback stand-in for the GitHub Actions cache service (v2) and the blob storage behind it, enough for the
 * real `@actions/cache` client:
 *
 * - twirp JSON RPC at `/twirp/github.actions.results.api.v1.CacheService/<Method>`: `CreateCacheEntry` (409
 *   `already_exists` while the key and version are reserved or stored, as the real service answers),
 *   `FinalizeCacheEntryUpload`, `GetCacheEntryDownloadURL` (exact key, then each restore key as a prefix, newest
 *   first, always within the same version);
 * - "signed" blob URLs `/devstoreaccount1/cache/<id>?sig=…` (IP-style Azure URLs, as Azurite uses) for the Azure
 *   SDK's uploads (one PUT, or Put Block + Put Block List) and downloads (GET and HEAD, with `Range`).
 *
 * Everything is kept in memory. `fail()` and `down()` make it misbehave for the failure tests.
 */

export interface StoredEntry {
  key: string;
  version: string;
  size: number;
}

export interface Failure {
  /** HTTP status of every matching request from now on. */
  status: number;
  /** Which requests fail: the twirp service, the blob storage, or both (default). */
  only?: 'twirp' | 'blob';
}

export interface ActionsCacheServer {
  /** The service's base URL (ends with `/`): `ACTIONS_RESULTS_URL`. */
  url: string;
  /** Every variable the client reads: set them in `process.env` before calling it. */
  env: Record<string, string>;
  /** Committed entries, oldest first. */
  entries(): StoredEntry[];
  /** Every request received, in order (`path` without the query string's signature). */
  requests: { method: string; path: string }[];
  /** The stored archive of a committed entry. */
  archive(key: string): Buffer | undefined;
  /** Replaces the stored archive of a committed entry (to test corrupt downloads). */
  tamper(key: string, change: (archive: Buffer) => Buffer): void;
  /** Removes a committed entry, as GitHub's eviction does. */
  evict(key: string): void;
  /** Makes requests fail with an HTTP status until `fail(undefined)`. */
  fail(failure: Failure | undefined): void;
  /** Stops listening: requests are refused (ECONNREFUSED) from now on. */
  down(): Promise<void>;
  close(): Promise<void>;
}

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const BLOB_PREFIX = '/devstoreaccount1/cache/';

interface Entry {
  id: number;
  key: string;
  version: string;
  /** Secret part of the entry's signed URLs. */
  sig: string;
  /** Set by a single PUT or a block list commit; the entry is visible once finalized. */
  data: Buffer | undefined;
  blocks: Map<string, Buffer>;
  finalized: boolean;
  createdAt: number;
}

export interface StartOptions {
  /** Sets `GITHUB_WORKSPACE`: where the client roots archive paths and extracts them. */
  workspace?: string;
}

export async function start(options: StartOptions = {}): Promise<ActionsCacheServer> {
  const token = `token-${randomBytes(8).toString('hex')}`;
  const runnerTemp = mkdtempSync(join(tmpdir(), 'dagline-runner-temp-'));
  const entries: Entry[] = [];
  const requests: { method: string; path: string }[] = [];
  let failure: Failure | undefined;
  let nextId = 1;
  let clock = 0;
  let baseUrl = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = new URLSearchParams(url.search);
    params.delete('sig');
    requests.push({ method: req.method ?? '', path: `${url.pathname}${params.size > 0 ? `?${params}` : ''}` });
    const body = await readBody(req);
    const isTwirp = url.pathname.startsWith(TWIRP_PREFIX);
    if (failure && (failure.only === undefined || failure.only === (isTwirp ? 'twirp' : 'blob'))) {
      return isTwirp ? twirpError(res, failure.status, 'internal', 'injected failure') : send(res, failure.status, 'injected failure');
    }
    if (isTwirp) return twirp(req, res, url.pathname.slice(TWIRP_PREFIX.length), body);
    if (url.pathname.startsWith(BLOB_PREFIX)) return blob(req, res, url, body);
    send(res, 404, 'not found');
  };

  const twirp = (req: IncomingMessage, res: ServerResponse, method: string, body: Buffer): void => {
    if (req.method !== 'POST') return twirpError(res, 405, 'bad_route', 'POST only');
    if (req.headers.authorization !== `Bearer ${token}`) return twirpError(res, 401, 'unauthenticated', 'bad token');
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return twirpError(res, 400, 'malformed', 'body is not JSON');
    }
    const key = typeof request.key === 'string' ? request.key : '';
    const version = typeof request.version === 'string' ? request.version : '';
    if (key === '' || version === '') return twirpError(res, 400, 'invalid_argument', 'key and version are required');
    switch (method) {
      case 'CreateCacheEntry':
        return createEntry(res, key, version);
      case 'FinalizeCacheEntryUpload':
        return finalizeEntry(res, key, version, Number(request.size_bytes ?? 0));
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(request.restore_keys) ? request.restore_keys.filter((k): k is string => typeof k === 'string') : [];
        return downloadUrl(res, key, restoreKeys, version);
      }
      default:
        return twirpError(res, 404, 'bad_route', `no method ${method}`);
    }
  };

  const createEntry = (res: ServerResponse, key: string, version: string): void => {
    // The real service refuses a second reservation while the first is in progress, and a key that exists.
    if (entries.some((e) => e.key === key && e.version === version)) {
      return twirpError(res, 409, 'already_exists', `cache entry ${key} with version ${version} already exists`);
    }
    const entry: Entry = { id: nextId++, key, version, sig: randomBytes(12).toString('hex'), data: undefined, blocks: new Map(), finalized: false, createdAt: clock++ };
    entries.push(entry);
    json(res, 200, { ok: true, signed_upload_url: signedUrl(entry) });
  };

  const finalizeEntry = (res: ServerResponse, key: string, version: string, size: number): void => {
    const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized);
    if (entry === undefined) return twirpError(res, 404, 'not_found', `no cache entry ${key} is being uploaded`);
    if (entry.data === undefined || entry.data.length !== size) return json(res, 200, { ok: false, message: `uploaded ${entry.data?.length ?? 0} bytes, not ${size}` });
    entry.finalized = true;
    json(res, 200, { ok: true, entry_id: String(entry.id) });
  };

  const downloadUrl = (res: ServerResponse, key: string, restoreKeys: string[], version: string): void => {
    const visible = entries.filter((e) => e.finalized && e.version === version).sort((a, b) => b.createdAt - a.createdAt);
    const match = visible.find((e) => e.key === key) ?? restoreKeys.map((prefix) => visible.find((e) => e.key.startsWith(prefix))).find((e) => e !== undefined);
    if (match === undefined) return json(res, 200, { ok: false });
    json(res, 200, { ok: true, signed_download_url: signedUrl(match), matched_key: match.key });
  };

  const signedUrl = (entry: Entry): string => `${baseUrl}${BLOB_PREFIX.slice(1)}${entry.id}?sv=2024-01-01&sr=b&sp=rw&sig=${entry.sig}`;

  const blob = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void => {
    const id = Number(url.pathname.slice(BLOB_PREFIX.length));
    const entry = entries.find((e) => e.id === id);
    if (entry === undefined) return send(res, 404, 'BlobNotFound');
    if (url.searchParams.get('sig') !== entry.sig) return send(res, 403, 'AuthenticationFailed');
    if (req.method === 'PUT') return putBlob(req, res, entry, url.searchParams, body);
    if (req.method === 'GET' || req.method === 'HEAD') return getBlob(req, res, entry);
    send(res, 405, 'UnsupportedHttpVerb');
  };

  const putBlob = (req: IncomingMessage, res: ServerResponse, entry: Entry, params: URLSearchParams, body: Buffer): void => {
    if (entry.finalized) return send(res, 409, 'BlobImmutable');
    const comp = params.get('comp');
    if (comp === 'block') {
      const blockId = params.get('blockid');
      if (blockId === null) return send(res, 400, 'MissingBlockId');
      entry.blocks.set(blockId, body);
      return created(res);
    }
    if (comp === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map((m) => m[2] ?? '');
      const parts = ids.map((blockId) => entry.blocks.get(blockId));
      if (parts.some((p) => p === undefined)) return send(res, 400, 'InvalidBlockList');
      entry.data = Buffer.concat(parts as Buffer[]);
      entry.blocks.clear();
      return created(res);
    }
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') return send(res, 400, 'MissingRequiredHeader x-ms-blob-type');
    entry.data = body;
    created(res);
  };

  const getBlob = (req: IncomingMessage, res: ServerResponse, entry: Entry): void => {
    if (!entry.finalized || entry.data === undefined) return send(res, 404, 'BlobNotFound');
    const data = entry.data;
    const range = parseRange(req.headers['x-ms-range'] ?? req.headers.range, data.length);
    if (range === 'invalid') {
      res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
      return;
    }
    const [start, end] = range ?? [0, data.length - 1];
    const headers: Record<string, string | number> = { 'Content-Length': end - start + 1, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', 'x-ms-blob-type': 'BlockBlob', ETag: `"${entry.id}"` };
    if (range !== undefined) headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
    res.writeHead(range === undefined ? 200 : 206, headers);
    res.end(req.method === 'HEAD' ? undefined : data.subarray(start, end + 1));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, String(e));
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/`;

  let listening = true;
  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    // Keep-alive connections would otherwise keep being served after close().
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const committed = (key: string): Entry | undefined => entries.find((e) => e.key === key && e.finalized);

  const env: Record<string, string> = {
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: baseUrl,
    ACTIONS_RUNTIME_TOKEN: token,
    ACTIONS_CACHE_MODE: 'write',
    // Where the client writes archives it makes and downloads (without it: /home/actions/temp).
    RUNNER_TEMP: runnerTemp,
    // Not a GHES host: GHES only has the v1 service.
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_DEBUG: '',
  };
  if (options.workspace !== undefined) env.GITHUB_WORKSPACE = options.workspace;

  return {
    url: baseUrl,
    env,
    requests,
    entries: () => entries.filter((e) => e.finalized).map((e) => ({ key: e.key, version: e.version, size: e.data?.length ?? 0 })),
    archive: (key) => committed(key)?.data,
    evict(key) {
      const index = entries.findIndex((e) => e.key === key && e.finalized);
      if (index >= 0) entries.splice(index, 1);
    },
    tamper(key, change) {
      const entry = committed(key);
      if (entry?.data === undefined) throw new Error(`no cache entry ${key}`);
      entry.data = change(entry.data);
    },
    fail(next) {
      failure = next;
    },
    down: stop,
    async close() {
      await stop();
      rmSync(runnerTemp, { recursive: true, force: true });
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (the last n bytes), clamped to the blob. */
function parseRange(header: string | string[] | undefined, size: number): [number, number] | 'invalid' | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return 'invalid';
  const [first, last] = [m[1] ?? '', m[2] ?? ''];
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return start > end || start >= size ? 'invalid' : [start, end];
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** Twirp's error body: the client shows `msg` and retries only 500, 502, 503 and 504. */
function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  json(res, status, { code, msg });
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function created(res: ServerResponse): void {
  res.writeHead(201, { 'Content-Length': 0, ETag: `"${Date.now()}"`, 'Last-Modified': new Date().toUTCString(), 'x-ms-request-id': randomBytes(8).toString('hex'), 'x-ms-version': '2024-01-01' }).end();
}
