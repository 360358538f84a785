import { resolve } from 'node:path';
import type { Graph } from '../compile/graph.js';
import { parseText } from '../parse/parse-text.js';
import { fail, ok, type Result } from '../result.js';
import { nextTick } from '../schedule/cron.js';
import { dueDates, nextDate, scheduleOf, type Due, type Schedule, type Upcoming } from '../schedule/due.js';
import { iso, logicalDate, parseDateText } from '../schedule/logical-date.js';
import { DateTime } from '../schedule/luxon.js';
import { readLastSuccessful, scheduleStateDir } from '../schedule/state.js';
import type { PipelineDocument } from '../validate/pipeline.generated.js';
import { COMMON_OPTIONS, oneOf } from './arguments.js';
import { load, onePipeline, report, type Command } from './commands.js';
import { EXIT, type CliIo, type UsageProblem } from './io.js';
import type { Loaded } from './pipelines.js';

export const scheduleCommand: Command = {
  options: {
    help: COMMON_OPTIONS.help,
    format: COMMON_OPTIONS.format,
    pipeline: COMMON_OPTIONS.pipeline,
    since: { type: 'string' },
    now: { type: 'string' },
  },
  async run(args, io) {
    const [action, ...paths] = args.paths;
    if (action !== 'next' && action !== 'due') {
      return { code: 'DAG090', message: `schedule takes \`next\` or \`due\`${action === undefined ? '' : `, not \`${action}\``}: dagline schedule due [path]` };
    }
    if (action === 'next' && args.values.since !== undefined) return { code: 'DAG090', message: '--since goes with `schedule due`' };
    const format = oneOf(args.values.format, ['text', 'json'] as const, 'text', 'format');
    if (!format.ok) return format.error;
    const now = clock(args.values.now, io.env);
    if (!now.ok) return now.error;
    const loaded = await load({ ...args, paths }, io);
    if (!loaded.ok) return loaded.error;
    if (report(loaded.value, io)) return EXIT.invalid;
    const graphs = args.values.pipeline === undefined ? ok(loaded.value.graphs) : onePipeline(loaded.value.graphs, args.values.pipeline);
    if (!graphs.ok) return graphs.error;
    const pipelines = [graphs.value].flat().map((graph) => ({ graph, schedule: pipelineSchedule(loaded.value, graph, io.cwd) }));
    if (action === 'next') {
      const upcoming = pipelines.map(({ graph, schedule }) => ({ graph, schedule, next: nextDate(schedule, now.value) }));
      io.stdout.write(format.value === 'json' ? nextJson(upcoming) : upcoming.map(nextText).join(''));
      return EXIT.ok;
    }
    const answers: DueAnswer[] = [];
    for (const { graph, schedule } of pipelines) {
      const last = lastSuccessful(graph, schedule, args.values.since);
      if (!last.ok) return last.error;
      answers.push({ graph, schedule, last: last.value, due: dueDates(schedule, now.value, last.value) });
    }
    io.stdout.write(format.value === 'json' ? dueJson(answers) : answers.map(dueText).join(''));
    return EXIT.ok;
  },
};

/**
 * The `schedule:` of a compiled pipeline. A graph is one logical date's tasks and does not carry it, so it is read
 * from the pipeline's text, which `load` has already validated.
 */
export function pipelineSchedule(loaded: Loaded, graph: Graph, cwd: string): Schedule {
  const text = loaded.sources.get(graph.file);
  const doc = text === undefined ? undefined : parseText(graph.file, resolve(cwd, graph.file), text);
  if (!doc?.ok) throw new Error(`the text of ${graph.file}, already validated, cannot be read again`);
  return scheduleOf((doc.value.value as unknown as PipelineDocument).schedule);
}

/** `--now`, else `$DAGLINE_NOW` (an ISO timestamp; UTC without an offset), else the real clock. */
function clock(value: unknown, env: CliIo['env']): Result<DateTime, UsageProblem> {
  const text = (value as string | undefined) ?? env.DAGLINE_NOW;
  if (text === undefined || text === '') return ok(DateTime.utc());
  const parsed = parseDateText(text, 'UTC');
  const option = value === undefined ? 'DAGLINE_NOW' : '--now';
  return parsed.ok ? ok(parsed.value.time) : fail({ code: 'DAG093', message: `${option}: ${parsed.error}` });
}

/** `--since D` stands for the last successful date; without it, the schedule state says. */
function lastSuccessful(graph: Graph, schedule: Schedule, since: unknown): Result<DateTime | undefined, UsageProblem> {
  if (since !== undefined) {
    const date = logicalDate(String(since), schedule.cron);
    return date.ok ? date : fail({ code: 'DAG093', message: `--since: ${date.error}` });
  }
  const recorded = readLastSuccessful(scheduleStateDir(graph.root), graph.pipeline);
  return recorded.ok ? recorded : fail({ code: 'DAG090', message: recorded.error });
}

interface DueAnswer {
  graph: Graph;
  schedule: Schedule;
  last: DateTime | undefined;
  due: Due;
}

interface NextAnswer {
  graph: Graph;
  schedule: Schedule;
  next: Upcoming | undefined;
}

const label = ({ cron, catchup }: Schedule): string => `${cron.expression} ${cron.timezone}${catchup ? ', catchup' : ''}`;

function dueText({ graph, schedule, last, due }: DueAnswer): string {
  const since = last === undefined ? '' : `; last successful ${iso(last)}`;
  const n = due.dates.length;
  const lines = [`${graph.pipeline} (${label(schedule)}${since}): ${n === 0 ? 'nothing is due' : `${n} logical date${n === 1 ? '' : 's'} due`}`];
  lines.push(...due.dates.map((d) => `  ${iso(d)}`));
  if (due.truncated) lines.push(`  … and more: these are the oldest ${n}; the others stay due`);
  return `${lines.join('\n')}\n`;
}

function nextText({ graph, schedule, next }: NextAnswer): string {
  const what = next === undefined ? `no more logical dates (the schedule ended ${schedule.end ?? ''})` : `next logical date ${iso(next.date)}, due at ${iso(next.dueAt)}`;
  return `${graph.pipeline} (${label(schedule)}): ${what}\n`;
}

/** A logical date in JSON: its day, its time, and when its run is (or was) due: the end of its data interval. */
const dateJson = (date: DateTime, dueAt: DateTime) => ({ ds: date.toISODate(), ts: iso(date), due_at: iso(dueAt) });

function dueJson(answers: readonly DueAnswer[]): string {
  const pipelines = answers.map(({ graph, schedule, last, due }) => ({
    pipeline: graph.pipeline,
    cron: schedule.cron.expression,
    timezone: schedule.cron.timezone,
    catchup: schedule.catchup,
    last_successful: last === undefined ? null : iso(last),
    due: due.dates.map((d) => dateJson(d, nextTick(schedule.cron, d))),
    truncated: due.truncated,
  }));
  return `${JSON.stringify({ pipelines }, null, 2)}\n`;
}

function nextJson(answers: readonly NextAnswer[]): string {
  const pipelines = answers.map(({ graph, schedule, next }) => ({
    pipeline: graph.pipeline,
    cron: schedule.cron.expression,
    timezone: schedule.cron.timezone,
    next: next === undefined ? null : dateJson(next.date, next.dueAt),
  }));
  return `${JSON.stringify({ pipelines }, null, 2)}\n`;
}
