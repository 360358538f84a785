import { DateTime } from '../schedule/luxon.js';
import { neededNames } from '../compile/needs.js';
import { error, type Diagnostic, type Location } from '../diagnostics/diagnostic.js';
import { locate, type Document, type PathSegment } from '../parse/document.js';
import { checkCron, isTimezone } from '../schedule/cron.js';
import { findCycle } from './cycles.js';
import { checkExpressions } from './expressions.js';
import type { EnvMap, PipelineDocument } from './pipeline.generated.js';
import { didYouMean } from './suggest.js';

/** The checks a schema cannot express. Assumes the document already matches the schema. */
export function checkSemantics(doc: Document, spec: PipelineDocument): Diagnostic[] {
  return [
    ...checkNeeds(doc, spec),
    ...checkCycles(doc, spec),
    ...checkSchedule(doc, spec),
    ...checkMatrixExcludes(doc, spec),
    ...checkExpressions(doc, spec),
    ...checkSecrets(doc, spec),
  ];
}

function checkNeeds(doc: Document, spec: PipelineDocument): Diagnostic[] {
  const names = Object.keys(spec.tasks);
  return Object.entries(spec.tasks).flatMap(([name, task]) =>
    neededNames(task.needs).flatMap((needed, i) => {
      const at = locate(doc, typeof task.needs === 'string' ? ['tasks', name, 'needs'] : ['tasks', name, 'needs', i]);
      if (needed === name) return [error('DAG042', `task \`${name}\` needs itself`, at, 'remove it from its own `needs`')];
      if (spec.tasks[needed] !== undefined) return [];
      const others = names.filter((n) => n !== name);
      return [error('DAG040', `task \`${name}\` needs \`${needed}\`, which does not exist${didYouMean(needed, others)}`, at)];
    }),
  );
}

function checkCycles(doc: Document, spec: PipelineDocument): Diagnostic[] {
  const edges = new Map(
    Object.entries(spec.tasks).map(([name, task]) => [name, neededNames(task.needs).filter((n) => n !== name)]),
  );
  const cycle = findCycle(edges);
  if (cycle === undefined) return [];
  const [first = '', second = ''] = cycle;
  const index = neededNames(spec.tasks[first]?.needs).indexOf(second);
  const path = typeof spec.tasks[first]?.needs === 'string' ? ['tasks', first, 'needs'] : ['tasks', first, 'needs', index];
  return [
    error('DAG041', `dependency cycle: ${cycle.join(' → ')}`, locate(doc, path), 'remove one of these `needs` to break the cycle'),
  ];
}

function checkSchedule(doc: Document, spec: PipelineDocument): Diagnostic[] {
  const schedule = spec.schedule;
  if (schedule === undefined) return [];
  const diagnostics: Diagnostic[] = [];
  const cron = checkCron(schedule.cron);
  if (!cron.ok) {
    diagnostics.push(error('DAG045', `invalid cron expression \`${schedule.cron}\`: ${cron.error}`, locate(doc, ['schedule', 'cron']), 'e.g. `0 2 * * *` runs daily at 02:00'));
  }
  if (schedule.timezone !== undefined && !isTimezone(schedule.timezone)) {
    diagnostics.push(error('DAG046', `unknown timezone \`${schedule.timezone}\``, locate(doc, ['schedule', 'timezone']), 'use an IANA name such as `UTC` or `Europe/Paris`'));
  }
  for (const key of ['start', 'end'] as const) {
    const value = schedule[key];
    if (value !== undefined && !DateTime.fromISO(value).isValid) {
      diagnostics.push(error('DAG019', `\`${value}\` is not a date that exists`, locate(doc, ['schedule', key])));
    }
  }
  return diagnostics;
}

function checkMatrixExcludes(doc: Document, spec: PipelineDocument): Diagnostic[] {
  return Object.entries(spec.tasks).flatMap(([name, task]) => {
    const matrix = task.matrix;
    if (matrix === undefined || !Array.isArray(matrix.exclude)) return [];
    const axes = Object.keys(matrix).filter((k) => k !== 'include' && k !== 'exclude');
    return matrix.exclude.flatMap((row, i) =>
      Object.keys(row ?? {})
        .filter((key) => !axes.includes(key))
        .map((key) =>
          error('DAG052', `\`exclude\` names \`${key}\`, which is not an axis of this matrix${didYouMean(key, axes)}`, locate(doc, ['tasks', name, 'matrix', 'exclude', i, key], 'key')),
        ),
    );
  });
}

/** A secret comes from outside (the runner's environment): a literal value in the pipeline file would publish it. */
function checkSecrets(doc: Document, spec: PipelineDocument): Diagnostic[] {
  const secrets = new Set(spec.secrets ?? []);
  if (secrets.size === 0) return [];
  const envMaps: [PathSegment[], EnvMap | undefined][] = [
    [['env'], spec.env],
    [['defaults', 'env'], spec.defaults?.env],
    ...Object.entries(spec.tasks).map(([name, task]): [PathSegment[], EnvMap | undefined] => [['tasks', name, 'env'], task.env]),
  ];
  return envMaps.flatMap(([path, env]) =>
    Object.entries(env ?? {})
      .filter(([name, value]) => secrets.has(name) && !String(value).includes('${{'))
      .map(([name]) => literalSecret(locate(doc, [...path, name], 'key'), name)),
  );
}

const literalSecret = (at: Location, name: string): Diagnostic =>
  error(
    'DAG055',
    `\`${name}\` is declared in \`secrets:\` but given a value here: a secret must come from the environment Dagline runs in`,
    at,
    `remove it from this \`env:\` and set it where the pipeline runs (in GitHub Actions, on the step: \`env: { ${name}: \${{ secrets.${name} }} }\`)`,
  );
