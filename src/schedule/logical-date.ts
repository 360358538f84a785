import { DateTime } from './luxon.js';
import { fail, ok, type Result } from '../result.js';
import { nextTick, previousTick, type Cron } from './cron.js';

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
  const parsed = parseDateText(text, cron.timezone);
  if (!parsed.ok || !parsed.value.day) return parsed.ok ? ok(parsed.value.time) : parsed;
  const day = parsed.value.time;
  const firstTick = nextTick(cron, day.minus({ milliseconds: 1 }));
  return ok(firstTick.hasSame(day, 'day') ? firstTick : day);
}

/**
 * A date as `--date` takes it: a day (its start, in `zone`) or an ISO timestamp (without an offset it is read in
 * `zone` too, so the machine's own zone never matters); `day` says which it was.
 */
export function parseDateText(text: string, zone: string): Result<{ time: DateTime; day: boolean }, string> {
  const day = DATE_ONLY.test(text);
  const time = DateTime.fromISO(text, { zone, setZone: !day }).setZone(zone);
  if (!time.isValid) return fail(`\`${text}\` is not a date; use YYYY-MM-DD or an ISO timestamp such as 2024-03-01T02:00:00Z`);
  return ok({ time, day });
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

/** `2024-03-01T02:00:00Z`, `2024-03-31T03:00:00+02:00`: how run macros, the CLI and the state file write a time. */
export const iso = (date: DateTime): string => date.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '';
