import type { Fingerprint, FingerprintPart } from '../cache/fingerprint.js';
import type { CacheVerdict, Plan, PlannedTask } from '../plan/plan.js';
import type { Colors } from './colors.js';
import { formatDuration } from './run-summary.js';

export function formatPlanText(plan: Plan, c: Colors): string {
  const running = plan.tasks.filter((t) => t.action === 'run').length;
  const cached = plan.tasks.filter((t) => t.action === 'cached').length;
  const restored = cached === 0 ? '' : `, ${cached} cached`;
  const out = [c.bold(`${plan.pipeline} (${plan.file}) for ${plan.ds}: ${running} of ${plan.tasks.length} tasks will run${restored}`)];
  const width = Math.min(48, plan.tasks.reduce((w, t) => Math.max(w, t.id.length), 0));
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const timed = hasEstimates(plan);
  const estimateWidth = timed ? plan.tasks.reduce((w, t) => Math.max(w, estimateCell(t).length), 0) : 0;
  plan.layers.forEach((ids, layer) => {
    out.push(c.dim(`layer ${layer}`));
    for (const id of ids) {
      const t = byId.get(id);
      if (t === undefined) continue;
      const action = t.action === 'run' ? c.yellow('will run') : t.action === 'cached' ? c.green('cached  ') : c.dim('skipped ');
      const estimate = timed ? `${estimateCell(t).padEnd(estimateWidth)}  ` : '';
      out.push(`  ${t.id.padEnd(width)}  ${action}  ${estimate}${c.dim(t.reason)}`);
    }
  });
  const pathTime = timed && plan.timing !== undefined ? ` ${c.dim(`(${approximately(plan.timing.criticalPathMs)})`)}` : '';
  out.push(`${c.dim('critical path:')} ${plan.criticalPath.join(' → ')}${pathTime}`);
  if (plan.timing !== undefined) out.push(`${c.dim('expected wall time:')} ${describeWallTime(plan)}`);
  return `${out.join('\n')}\n`;
}

/** Whether any task that will run has a duration on record: else the estimates say nothing and are not shown. */
export const hasEstimates = (plan: Plan): boolean => plan.tasks.some((t) => t.action === 'run' && typeof t.estimateMs === 'number');

/** `~12.3s` for a task that will run, `?` when its duration is unknown, nothing when it will not run. */
export function estimateCell(task: PlannedTask): string {
  if (task.action !== 'run' || task.estimateMs === undefined) return '';
  return task.estimateMs === null ? '?' : approximately(task.estimateMs);
}

/** `~45.0s at -j 2 (1 task without history counted as 0)`, or why there is no estimate. */
export function describeWallTime(plan: Plan): string {
  const timing = plan.timing;
  if (timing === undefined) return '';
  if (!plan.tasks.some((t) => t.action === 'run')) return 'none: nothing will run';
  if (!hasEstimates(plan)) return 'unknown: no task that will run has a successful run on record (`dagline history`)';
  const unknown = timing.unknown === 0 ? '' : ` (${timing.unknown} task${timing.unknown === 1 ? '' : 's'} without history counted as 0)`;
  return `${approximately(timing.wallTimeMs)} at -j ${timing.concurrency}${unknown}`;
}

const approximately = (ms: number): string => `~${formatDuration(ms)}`;

export const formatPlanJson = (plans: readonly Plan[]): string => `${JSON.stringify({ plans }, null, 2)}\n`;

export interface Explained {
  key: string;
  fingerprint: Fingerprint;
  /** The parts of the task's last saved or restored entry, when one is known. */
  previous: FingerprintPart[] | undefined;
}

/** `plan --explain TASK`: every part of the fingerprint (digests shortened), then the verdict and its reasons. */
export function formatExplainText(id: string, explained: Explained, verdict: CacheVerdict | undefined, c: Colors): string {
  const width = explained.fingerprint.parts.reduce((w, p) => Math.max(w, p.name.length), 0);
  const before = new Map((explained.previous ?? []).map((p) => [p.name, p.digest]));
  const out = [c.bold(id), `${c.dim('fingerprint')} ${explained.fingerprint.digest}`, `${c.dim('cache key  ')} ${explained.key}`, ''];
  for (const part of explained.fingerprint.parts) {
    const was = before.get(part.name);
    const mark = explained.previous === undefined || was === part.digest ? ' ' : c.yellow(was === undefined ? '+' : '~');
    out.push(`${mark} ${part.name.padEnd(width)}  ${c.dim(part.digest.slice(0, 16))}`);
  }
  const current = new Set(explained.fingerprint.parts.map((p) => p.name));
  for (const name of before.keys()) if (!current.has(name)) out.push(`${c.yellow('-')} ${name.padEnd(width)}  ${c.dim('(gone)')}`);
  if (verdict !== undefined) out.push('', verdict.cached ? `${c.green('cached')}: ${verdict.reason}` : `${c.yellow('will run')}: ${verdict.reason}`);
  return `${out.join('\n')}\n`;
}

export const formatExplainJson = (id: string, explained: Explained, verdict: CacheVerdict | undefined): string =>
  `${JSON.stringify({ id, key: explained.key, digest: explained.fingerprint.digest, parts: explained.fingerprint.parts, previous: explained.previous ?? null, cached: verdict?.cached ?? false, reason: verdict?.reason ?? '' }, null, 2)}\n`;
