import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Graph, Part, Task } from '../compile/graph.js';
import { parseExpression } from '../expression/parse.js';
import { references } from '../expression/references.js';
import { fail, ok, type Result } from '../result.js';
import { sha256, type StatCache } from './file-digest.js';
import { explainDifference, fingerprintTask, partsDigest, type Fingerprint, type FingerprintPart } from './fingerprint.js';
import { errorMessage, writeFileAtomic } from './fs-util.js';
import { expandPaths, normalizePath } from './paths.js';
import { Limiter } from '../run/limiter.js';
import type { CacheStore, Manifest } from './store.js';

/** How a run uses the cache: `--no-cache` turns it off; `--force` runs (and re-saves) the named tasks. */
/** Entry lookups `plan` keeps in flight at once. */
const PREFETCH_CONCURRENCY = 16;

export interface CachePolicy {
  enabled: boolean;
  force: ReadonlySet<string>;
}

/** What the cache says about one task before it runs. */
export type Lookup =
  | { hit: true; outputs: Record<string, string>; key: string }
  | { hit: false; reason: string; warning?: string };

/** A task's fingerprint as last saved or restored, kept to explain the next miss (`plan`: "input x changed"). */
interface LastFingerprint {
  key: string;
  parts: FingerprintPart[];
}

/** `.dagline/fingerprints/<pipeline>.json`: the last fingerprint of every task of one pipeline, by task id. */
interface LastFingerprintsFile {
  format: 1;
  tasks: Record<string, LastFingerprint>;
}

/** A task in `plan`: cached or not, and why; a cached one's outputs, for what reads them downstream. */
export interface Prediction {
  cached: boolean;
  reason: string;
  outputs?: Record<string, string>;
}

export interface SaveOptions {
  /** The task's outputs hold a secret's value: never stored, so the task is not saved (it runs every time). */
  holdsSecret?: boolean;
}

/** Upstream values a task's command reads at run time; undefined when the upstream has not produced them. */
export type OutputsOf = (id: string) => Record<string, string> | undefined;

/**
 * The cache as the executor and the planner use it: fingerprints (memoised per task, inputs hashed through the
 * stat cache), entry keys, restore before a run and save after it, and the explanation of a miss. Every cache
 * trouble is a miss with a warning, never a failed task, except a declared output the task did not produce.
 */
export class TaskCache {
  private readonly fingerprints = new Map<string, Promise<Result<Fingerprint, string>>>();
  /** `predictAll`: the outputs of the tasks it found cached, which a run would restore before their dependents. */
  private readonly expected = new Map<string, string>();
  /** Entry lookups of `predictAll`, by key. */
  private readonly entries = new Map<string, Promise<{ exists: boolean; manifest?: Manifest }>>();
  private readonly byId: Map<string, Task>;
  /** Read on first use; written by `persist` when a task's entry changed. */
  private lastFingerprints: Map<string, LastFingerprint> | undefined;
  private readonly lastFile: string;
  /** Tasks whose last fingerprint this process changed. */
  private readonly lastChanged = new Set<string>();

  constructor(
    private readonly graph: Graph,
    private readonly store: CacheStore,
    private readonly statCache: StatCache,
    private readonly policy: CachePolicy,
    /** `.dagline/fingerprints`: the last fingerprint of every task, to explain the next miss. */
    lastDir: string,
  ) {
    this.byId = new Map(graph.tasks.map((t) => [t.id, t]));
    this.lastFile = join(lastDir, `${slug(graph.pipeline)}.json`);
  }

  /** Whether the task may be restored: cached tasks, unless the cache is off or the task is forced. */
  usable(task: Task): { usable: true } | { usable: false; reason: string } {
    if (!task.cache) return { usable: false, reason: 'cache: false' };
    if (!this.policy.enabled) return { usable: false, reason: '--no-cache' };
    if (this.policy.force.has(task.id)) return { usable: false, reason: '--force' };
    return { usable: true };
  }

  /** Its entry's key: readable in `cache ls` and in GitHub's cache list, unique per pipeline and task. */
  key(task: Task, fingerprint: Fingerprint): string {
    return `${slug(this.graph.pipeline)}-${sha256(task.id).slice(0, 12)}-${fingerprint.digest}`;
  }

  /**
   * The task's fingerprint, computed once the tasks it needs have finished (their outputs may be its inputs).
   * `outputsOf` gives the task outputs its command reads at run time (`${{ needs.x.outputs.y }}`).
   */
  fingerprint(task: Task, outputsOf: OutputsOf): Promise<Result<Fingerprint, string>> {
    let known = this.fingerprints.get(task.id);
    if (known === undefined) {
      known = this.compute(task, outputsOf);
      this.fingerprints.set(task.id, known);
    }
    return known;
  }

  private async compute(task: Task, outputsOf: OutputsOf): Promise<Result<Fingerprint, string>> {
    const upstream = new Map<string, Fingerprint>();
    for (const id of task.needs) {
      const need = this.byId.get(id);
      const fingerprint = need === undefined ? fail(`unknown task ${id}`) : await this.fingerprint(need, outputsOf);
      if (!fingerprint.ok) return fingerprint;
      upstream.set(id, fingerprint.value);
    }
    const own = await fingerprintTask(task, this.graph, upstream, this.statCache, this.expected);
    if (!own.ok) return fail(own.error.message);
    const read: FingerprintPart[] = [];
    for (const id of readUpstreamOutputs(task, this.byId)) {
      const outputs = outputsOf(id);
      if (outputs === undefined) return fail(`the outputs of ${id} are not known yet`);
      read.push({ name: `outputs-of:${id}`, digest: sha256(JSON.stringify(Object.entries(outputs).sort(([a], [b]) => (a < b ? -1 : 1)))) });
    }
    if (read.length === 0) return own;
    const parts = [...own.value.parts, ...read];
    return ok({ digest: partsDigest(parts), parts });
  }

  /** Restores the task when it has a complete entry. */
  async lookup(task: Task, outputsOf: OutputsOf): Promise<Lookup> {
    const usable = this.usable(task);
    if (!usable.usable) return { hit: false, reason: usable.reason };
    const fingerprint = await this.fingerprint(task, outputsOf);
    if (!fingerprint.ok) return { hit: false, reason: 'no fingerprint', warning: `cache: ${task.id}: ${fingerprint.error}` };
    const key = this.key(task, fingerprint.value);
    const restored = await this.store.restore(key, this.graph.root, { statCache: this.statCache });
    if (restored.ok) {
      this.remember(task, key, fingerprint.value);
      return { hit: true, outputs: restored.value.manifest.taskOutputs, key };
    }
    const { kind, message } = restored.error;
    if (kind === 'absent') return { hit: false, reason: this.missReason(task, fingerprint.value) };
    return { hit: false, reason: `cache entry unusable (${kind})`, warning: `cache: ${task.id}: ${message}` };
  }

  /**
   * What `plan` shows for every task, in graph order: cached (its entry exists and nothing it needs will run) or
   * will run, and why. It never says cached for a task that a run would then run, except when files change
   * between the plan and the run.
   */
  async predictAll(): Promise<Map<string, Prediction>> {
    const predictions = new Map<string, Prediction>();
    const outputsOf: OutputsOf = (id) => predictions.get(id)?.outputs;
    this.prefetchEntries(outputsOf);
    for (const task of this.graph.tasks) predictions.set(task.id, await this.predict(task, predictions, outputsOf));
    return predictions;
  }

  /**
   * Starts the entry lookups of every task whose fingerprint does not wait for upstream outputs, a few at a time,
   * when the store is remote: against the GitHub cache each lookup is a round trip, and a plan that asked in graph order, one after the
   * other, would take a second per fifty tasks.
   */
  private prefetchEntries(outputsOf: OutputsOf): void {
    // A local folder answers at once; ten thousand lookups in flight would only cost memory (~100 MB, bench/compile).
    if (this.store.remote !== true) return;
    const limiter = new Limiter(PREFETCH_CONCURRENCY);
    // Only tasks with no upstream outputs anywhere above them: their fingerprints cannot depend on `expected`.
    const independent = new Set<string>();
    for (const task of this.graph.tasks) {
      const needs = task.needs.map((id) => this.byId.get(id));
      if (needs.every((need) => need !== undefined && need.outputs.length === 0 && independent.has(need.id))) independent.add(task.id);
    }
    for (const task of this.graph.tasks) {
      if (!independent.has(task.id) || !this.usable(task).usable || readUpstreamOutputs(task, this.byId).length > 0) continue;
      limiter
        .run(async () => {
          const fingerprint = await this.fingerprint(task, outputsOf);
          if (fingerprint.ok) await this.entry(this.key(task, fingerprint.value));
        })
        .catch(() => undefined); // predict() awaits the same memoised promises and meets any failure there
    }
  }

  /** Whether the store has a complete entry under `key`, and its manifest when the store can read it cheaply. */
  private entry(key: string): Promise<{ exists: boolean; manifest?: Manifest }> {
    let known = this.entries.get(key);
    if (known === undefined) {
      known = this.lookUpEntry(key);
      this.entries.set(key, known);
    }
    return known;
  }

  private async lookUpEntry(key: string): Promise<{ exists: boolean; manifest?: Manifest }> {
    if (this.store.manifest === undefined) return { exists: await this.store.has(key) };
    const manifest = await this.store.manifest(key);
    return manifest === undefined ? { exists: false } : { exists: true, manifest };
  }

  private async predict(task: Task, predictions: ReadonlyMap<string, Prediction>, outputsOf: OutputsOf): Promise<Prediction> {
    const usable = this.usable(task);
    if (!usable.usable) return { cached: false, reason: usable.reason };
    const running = task.needs.find((id) => predictions.get(id)?.cached === false);
    if (running !== undefined) return { cached: false, reason: `upstream ${running} will run` };
    const fingerprint = await this.fingerprint(task, outputsOf);
    if (!fingerprint.ok) return { cached: false, reason: fingerprint.error };
    const entry = await this.entry(this.key(task, fingerprint.value));
    for (const file of entry.manifest?.files ?? []) this.expected.set(file.path, file.digest);
    if (entry.exists) return { cached: true, reason: 'unchanged', ...(entry.manifest === undefined ? {} : { outputs: entry.manifest.taskOutputs }) };
    return { cached: false, reason: this.missReason(task, fingerprint.value) };
  }

  /**
   * After the task succeeded: every declared output must exist (else the task fails, naming it), then they are
   * stored with its task outputs. A store failure is only a warning: the task's work is done and stands.
   */
  async save(task: Task, outputs: Record<string, string>, outputsOf: OutputsOf, options: SaveOptions = {}): Promise<{ error?: string; warning?: string }> {
    const declared = task.outputs.map((o) => this.repoPath(o));
    const missing = await missingOutput(this.graph.root, declared);
    if (missing !== undefined) return { error: missing };
    const usable = this.usable(task);
    if (!usable.usable && usable.reason !== '--force') return {};
    // Stored redacted, a restore would hand `***` to the tasks that need it.
    if (options.holdsSecret === true) return { warning: `cache: ${task.id} not saved: its outputs hold a secret's value, which the cache never stores (\`cache: false\` on the task says so)` };
    const fingerprint = await this.fingerprint(task, outputsOf);
    if (!fingerprint.ok) return { warning: `cache: ${task.id} not saved: ${fingerprint.error}` };
    const key = this.key(task, fingerprint.value);
    const saved = await this.store.save(key, this.graph.root, declared, outputs, { statCache: this.statCache });
    if (!saved.ok) {
      if (saved.error.kind === 'missing-output') return { error: saved.error.message };
      return { warning: `cache: ${task.id} not saved: ${saved.error.message}` };
    }
    this.remember(task, key, fingerprint.value);
    return {};
  }

  /** The fingerprint parts of a task (`plan --explain`). */
  async explain(task: Task, outputsOf: OutputsOf): Promise<Result<{ key: string; fingerprint: Fingerprint; previous: FingerprintPart[] | undefined }, string>> {
    const fingerprint = await this.fingerprint(task, outputsOf);
    if (!fingerprint.ok) return fingerprint;
    return ok({ key: this.key(task, fingerprint.value), fingerprint: fingerprint.value, previous: this.last(task)?.parts });
  }

  private missReason(task: Task, fingerprint: Fingerprint): string {
    const last = this.last(task);
    if (last === undefined) return 'no cache entry';
    if (last.key === this.key(task, fingerprint)) return 'its cache entry is gone';
    const reasons = explainDifference(last.parts, fingerprint.parts);
    return reasons.length === 0 ? 'no cache entry' : reasons.join(', ');
  }

  private last(task: Task): LastFingerprint | undefined {
    this.lastFingerprints ??= readLastFingerprints(this.lastFile);
    return this.lastFingerprints.get(task.id);
  }

  private remember(task: Task, key: string, fingerprint: Fingerprint): void {
    if (this.last(task)?.key === key) return;
    this.lastFingerprints?.set(task.id, { key, parts: fingerprint.parts });
    this.lastChanged.add(task.id);
  }

  /**
   * Keeps the fingerprints of this run's saves and restores for the next plan's explanations. One file per
   * pipeline, written once: a file per task cost a cached 1,000-task run half a second. Failure is a warning.
   */
  persist(): string | undefined {
    if (this.lastChanged.size === 0 || this.lastFingerprints === undefined) return undefined;
    // Read again: another run of the pipeline (a backfill's other dates) may have written since.
    const tasks = readLastFingerprints(this.lastFile);
    for (const id of this.lastChanged) {
      const last = this.lastFingerprints.get(id);
      if (last !== undefined) tasks.set(id, last);
    }
    try {
      mkdirSync(dirname(this.lastFile), { recursive: true });
      writeFileAtomic(this.lastFile, JSON.stringify({ format: 1, tasks: Object.fromEntries(tasks) } satisfies LastFingerprintsFile));
      this.lastChanged.clear();
      return undefined;
    } catch (e) {
      // Only explanations are lost: the next miss says "no cache entry" instead of "input x changed".
      return `cannot keep the last fingerprints in ${this.lastFile}: ${errorMessage(e)}`;
    }
  }

  private repoPath(declared: string): string {
    return normalizePath(posix.join(this.graph.dir === '' ? '.' : this.graph.dir, declared));
  }
}

/** The tasks whose outputs a task's command or env reads at run time. */
function readUpstreamOutputs(task: Task, byId: ReadonlyMap<string, Task>): string[] {
  const names = new Set<string>();
  const parts: Part[] = [...(task.command.kind === 'run' ? task.command.script : task.command.args.flat()), ...Object.values(task.env).flat()];
  for (const part of parts) {
    if (typeof part === 'string') continue;
    const expr = parseExpression(part.expr);
    if (!expr.ok) continue;
    for (const ref of references(expr.value)) if (ref.path[0] === 'needs' && ref.path[1] !== undefined) names.add(ref.path[1]);
  }
  return task.needs.filter((id) => names.has(byId.get(id)?.name ?? ''));
}

async function missingOutput(root: string, declared: readonly string[]): Promise<string | undefined> {
  const expanded = await expandPaths(root, declared);
  if (!expanded.ok) return `cannot read output ${expanded.error.path}: ${expanded.error.message}`;
  const missing = expanded.value.find((e) => e.missing);
  return missing === undefined ? undefined : `declared output ${missing.declared} was not produced`;
}

/** `Daily Training!` → `daily-training`: a key part that is safe everywhere and still says which pipeline. */
export function slug(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s === '' ? 'pipeline' : s;
}

function readLastFingerprints(file: string): Map<string, LastFingerprint> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LastFingerprintsFile>;
    if (parsed.format === 1 && typeof parsed.tasks === 'object' && parsed.tasks !== null) return new Map(Object.entries(parsed.tasks));
  } catch {
    // absent or damaged: nothing to explain from
  }
  return new Map();
}
