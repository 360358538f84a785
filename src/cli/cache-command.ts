import { parseDuration } from '../compile/duration.js';
import { LocalStore, type EntryInfo, type PruneReport, type Usage } from '../cache/local-store.js';
import { fail, ok, type Result } from '../result.js';
import { oneOf } from './arguments.js';
import { cacheDir } from './cache-setup.js';
import type { Command } from './commands.js';
import { EXIT, type CliIo, type UsageProblem } from './io.js';
import { repositoryRoot } from './repository.js';

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `5GB`, `500MiB`, `1.5gb`, `1024` (bytes). */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = UNITS[(match?.[2] ?? '').toLowerCase() || 'b'];
  if (match === null || factor === undefined) return undefined;
  return Math.floor(Number(match[1]) * factor);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `dagline cache ls | du | prune [--older-than 30d] [--max-size 5GB]`, on the repository's local cache folder. */
export const cacheCommand: Command = {
  options: {
    help: { type: 'boolean', short: 'h' },
    format: { type: 'string' },
    'older-than': { type: 'string' },
    'max-size': { type: 'string' },
    'cache-dir': { type: 'string' },
  },
  async run(args, io) {
    const [action, ...extra] = args.paths;
    if (extra.length > 0) return { code: 'DAG090', message: `cache ${action ?? ''}: unexpected \`${extra.join(' ')}\`` };
    const format = oneOf(args.values.format, ['text', 'json'] as const, 'text', 'format');
    if (!format.ok) return format.error;
    const store = new LocalStore(cacheDir(args.values, io, repositoryRoot(io.cwd)));
    switch (action) {
      case 'ls':
        return show(await store.ls(), format.value, io, formatEntries);
      case 'du':
        return show(await store.du(), format.value, io, formatUsage);
      case 'prune': {
        const options = pruneOptions(args.values);
        if (!options.ok) return options.error;
        return show(await store.prune(options.value), format.value, io, formatPrune);
      }
      default:
        return { code: 'DAG090', message: `cache needs one of ls, du, prune${action === undefined ? '' : `, not \`${action}\``}` };
    }
  },
};

function pruneOptions(values: Record<string, unknown>): Result<{ olderThanMs?: number; maxBytes?: number }, UsageProblem> {
  const older = values['older-than'];
  const max = values['max-size'];
  const olderThanMs = older === undefined ? undefined : parseDuration(String(older));
  if (olderThanMs === undefined && older !== undefined) return fail({ code: 'DAG090', message: `--older-than takes a duration such as 30d or 12h, not \`${String(older)}\`` });
  const maxBytes = max === undefined ? undefined : parseSize(String(max));
  if (maxBytes === undefined && max !== undefined) return fail({ code: 'DAG090', message: `--max-size takes a size such as 5GB or 500MiB, not \`${String(max)}\`` });
  return ok({ ...(olderThanMs === undefined ? {} : { olderThanMs }), ...(maxBytes === undefined ? {} : { maxBytes }) });
}

function show<T>(result: Result<T, { message: string }>, format: 'text' | 'json', io: CliIo, text: (value: T) => string): number {
  if (!result.ok) {
    io.stderr.write(`dagline: cache: ${result.error.message}\n`);
    return EXIT.internal;
  }
  io.stdout.write(format === 'json' ? `${JSON.stringify(result.value, null, 2)}\n` : text(result.value));
  return EXIT.ok;
}

function formatEntries(entries: EntryInfo[]): string {
  if (entries.length === 0) return 'the cache is empty\n';
  const lines = entries.map((e) => `${e.lastUsedAt.slice(0, 19).replace('T', ' ')}  ${formatBytes(e.bytes).padStart(10)}  ${String(e.files).padStart(5)} files  ${e.key}`);
  return `${lines.join('\n')}\n${entries.length} entries\n`;
}

const formatUsage = (u: Usage): string =>
  `${u.entries} entries, ${u.blobs} blobs, ${formatBytes(u.blobBytes)} on disk (shared content counted once)${u.temps > 0 ? `; ${u.temps} leftover temporary files (${formatBytes(u.tempBytes)})` : ''}\n`;

const formatPrune = (r: PruneReport): string =>
  `removed ${r.entriesRemoved.length} entries, ${r.blobsRemoved} blobs and ${r.tempsRemoved} temporary files: ${formatBytes(r.bytesFreed)} freed, ${formatBytes(r.bytesLeft)} left\n`;
