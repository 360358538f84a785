import { DateTime } from './luxon.js';
import { fail, ok, type Result } from '../result.js';
import { ticks, type Cron } from './cron.js';

/** The run macros of one logical date, with Airflow's meanings. (A type, not an interface, so it is a `Value`.) */
export type RunMacros = {
  ds: string;
  ds_nodash: string;
  ts: string;
  ts_nodash: string;
  logical_date: string;
  data_interval_start: string;
  data_interval_end: string;
  prev_ds: string;
  next_ds: string;
  id: string;
};

/** Every name under `run.` an expression may read (`attempt` is filled in when the task starts). */
export const RUN_MACROS: ReadonlySet<string> = new Set([
  'ds', 'ds_nodash', 'ts', 'ts_nodash', 'logical_date', 'data_interval_start', 'data_interval_end',
  'prev_ds', 'next_ds', 'id', 'attempt',
]);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parses `--date`: a day (`2024-03-01`, read in the schedule's timezone) or an ISO timestamp with an offset.
 * A day that is not itself a cron tick is moved to the first tick of that day, so `--date 2024-03-01` on a
 * `0 2 * * *` schedule means the 02:00 run, as Airflow would name it.
 */
export function logicalDate(text: string, cron: Cron): Result<DateTime, string> {
  const parsed = DATE_ONLY.test(text)
    ? DateTime.fromISO(text, { zone: cron.timezone })
    : DateTime.fromISO(text, { setZone: true }).setZone(cron.timezone);
  if (!parsed.isValid) return fail(`\`${text}\` is not a date; use YYYY-MM-DD or an ISO timestamp such as 2024-03-01T02:00:00Z`);
  if (!DATE_ONLY.test(text)) return ok(parsed);
  const firstTick = nextTick(cron, parsed.minus({ milliseconds: 1 }));
  return ok(firstTick.hasSame(parsed, 'day') ? firstTick : parsed);
}

export function runMacros(date: DateTime, cron: Cron, runId?: string): RunMacros {
  const end = nextTick(cron, date);
  const previous = previousTick(cron, date);
  const ts = iso(date);
  return {
    ds: date.toISODate() ?? '',
    ds_nodash: date.toFormat('yyyyLLdd'),
    ts,
    ts_nodash: date.toFormat("yyyyLLdd'T'HHmmss"),
    logical_date: ts,
    data_interval_start: ts,
    data_interval_end: iso(end),
    prev_ds: previous.toISODate() ?? '',
    next_ds: end.toISODate() ?? '',
    id: runId ?? `manual__${ts}`,
  };
}

function nextTick(cron: Cron, after: DateTime): DateTime {
  return fromCron(ticks(cron, after.toJSDate()).next().toDate(), cron);
}

function previousTick(cron: Cron, before: DateTime): DateTime {
  return fromCron(ticks(cron, before.toJSDate()).prev().toDate(), cron);
}

const fromCron = (date: Date, cron: Cron) => DateTime.fromJSDate(date, { zone: cron.timezone });
const iso = (date: DateTime) => date.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '';
