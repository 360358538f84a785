import type { Plan } from '../plan/plan.js';
import type { Colors } from './colors.js';

export function formatPlanText(plan: Plan, c: Colors): string {
  const running = plan.tasks.filter((t) => t.action === 'run').length;
  const out = [c.bold(`${plan.pipeline} (${plan.file}) for ${plan.ds}: ${running} of ${plan.tasks.length} tasks will run`)];
  const width = Math.min(48, plan.tasks.reduce((w, t) => Math.max(w, t.id.length), 0));
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  plan.layers.forEach((ids, layer) => {
    out.push(c.dim(`layer ${layer}`));
    for (const id of ids) {
      const t = byId.get(id);
      if (t === undefined) continue;
      const action = t.action === 'run' ? c.yellow('will run') : c.dim('skipped ');
      out.push(`  ${t.id.padEnd(width)}  ${action}  ${c.dim(t.reason)}`);
    }
  });
  out.push(`${c.dim('critical path:')} ${plan.criticalPath.join(' → ')}`);
  return `${out.join('\n')}\n`;
}

export const formatPlanJson = (plans: readonly Plan[]): string => `${JSON.stringify({ plans }, null, 2)}\n`;
