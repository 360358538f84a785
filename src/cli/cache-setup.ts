import { join, resolve } from 'node:path';
import type { Graph } from '../compile/graph.js';
import { StatCache } from '../cache/file-digest.js';
import { githubCacheAvailable } from '../cache/github-availability.js';
import { defaultCacheDir, LocalStore } from '../cache/local-store.js';
import type { CacheStore } from '../cache/store.js';
import { TaskCache } from '../cache/task-cache.js';
import { fail, ok, type Result } from '../result.js';
import type { OptionSpec, ParsedArguments } from './arguments.js';
import type { CliIo, UsageProblem } from './io.js';

export const CACHE_OPTIONS = {
  /** `local`, `github` or `off`; default: `github` inside GitHub Actions when its cache service is there, else `local`. */
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  force: { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
} as const satisfies OptionSpec;

/** `--cache-dir`, else `$DAGLINE_CACHE_DIR` (relative to the current folder), else `.dagline/cache` in the repository. */
export function cacheDir(values: Readonly<Record<string, unknown>>, io: Pick<CliIo, 'env' | 'cwd'>, root: string): string {
  const configured = (values['cache-dir'] as string | undefined) ?? io.env.DAGLINE_CACHE_DIR;
  return configured ? resolve(io.cwd, configured) : defaultCacheDir(root);
}

export type Backend = 'local' | 'github' | 'off';

/** The stat cache of a repository: digests of files whose size, times and inode have not changed. */
export const statCacheFile = (root: string): string => join(root, '.dagline', 'stat-cache.json');

export interface OpenedCache {
  cache: TaskCache;
  /** Keeps the stat cache and the last fingerprints for the next command; a failure is only a warning. */
  close(): Promise<string | undefined>;
}

/** The cache of one pipeline as `run` and `plan` use it, from the command line's cache options. */
export async function openCache(graph: Graph, args: ParsedArguments, io: CliIo, warn: (message: string) => void): Promise<Result<OpenedCache, UsageProblem>> {
  const backend = chooseBackend(args.values.cache, io.env);
  if (!backend.ok) return backend;
  const force = forcedTasks(graph, (args.values.force as string[] | undefined) ?? []);
  if (!force.ok) return force;
  const statCache = await StatCache.load(statCacheFile(graph.root), graph.root);
  const store = await openStore(backend.value, new LocalStore(cacheDir(args.values, io, graph.root)), graph.root, io.env, warn);
  const policy = { enabled: backend.value !== 'off' && args.values['no-cache'] !== true, force: force.value };
  const cache = new TaskCache(graph, store, statCache, policy, join(graph.root, '.dagline', 'fingerprints'));
  return ok({
    cache,
    async close() {
      const saved = await statCache.save();
      const kept = cache.persist();
      return [saved.ok ? undefined : saved.error, kept].filter(Boolean).join('; ') || undefined;
    },
  });
}

export function chooseBackend(value: unknown, env: Readonly<Record<string, string | undefined>>): Result<Backend, UsageProblem> {
  if (value === undefined) return ok(env.GITHUB_ACTIONS === 'true' && githubCacheAvailable(env) ? 'github' : 'local');
  if (value === 'local' || value === 'github' || value === 'off') return ok(value);
  return fail({ code: 'DAG090', message: `--cache must be local, github or off, not \`${String(value)}\`` });
}

/** The GitHub Actions cache client is imported only when used: it loads the Azure SDK (~0.2 s). */
async function openStore(backend: Backend, local: LocalStore, root: string, env: Readonly<Record<string, string | undefined>>, warn: (message: string) => void): Promise<CacheStore> {
  if (backend !== 'github') return local;
  if (!githubCacheAvailable(env)) {
    warn('--cache github: the GitHub Actions cache service is not available here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are set for JavaScript actions only); using the local cache');
    return local;
  }
  const { GitHubStore } = await import('../cache/github-store.js');
  return new GitHubStore(local, { workspace: env.GITHUB_WORKSPACE ?? root, warn });
}

/** `--force NAME` forces every instance of a task; `--force 'train[model=a]'` one instance. */
function forcedTasks(graph: Graph, names: readonly string[]): Result<Set<string>, UsageProblem> {
  const forced = new Set<string>();
  for (const name of names) {
    const matches = graph.tasks.filter((t) => t.id === name || t.name === name);
    if (matches.length === 0) return fail({ code: 'DAG090', message: `--force: no task \`${name}\` in ${graph.pipeline}` });
    for (const t of matches) forced.add(t.id);
  }
  return ok(forced);
}
