import { DateTime } from './luxon.js';
import { fail, ok, type Result } from '../result.js';
import type { Schedule as ScheduleSpec } from '../validate/pipeline.generated.js';
import { cronOf, nextTick, previousTick, tickAtOrAfter, tickAtOrBefore, ticksAfter, type Cron } from './cron.js';
import { parseDateText } from './logical-date.js';

/*
 * Airflow's meaning of a logical date: D is the START of its data interval [D, next tick), so the run for D is
 * due once that interval has ended, at the next tick. On `0 2 * * *` the run for 2024-03-01T02:00 is due at
 * 2024-03-02T02:00. Every function here is pure: the clock is passed in.
 */

/** At most this many dates in one answer: more is a cron that fires too often for its range, not a backfill. */
export const MAX_DATES = 1000;

/** A pipeline's `schedule:` with its defaults filled in. */
export interface Schedule {
  cron: Cron;
  /** The first day with logical dates (`YYYY-MM-DD`, in the cron's zone), if bounded. */
  start: string | undefined;
  /** The last day with logical dates (inclusive), if bounded. */
  end: string | undefined;
  /** Whether a scheduled run catches up on every missed date, or runs only the latest. */
  catchup: boolean;
  /** How many dates a backfill runs at once, when the pipeline says. */
  maxActiveRuns: number | undefined;
}

/** The schedule of a pipeline; one without `schedule:` is daily at 00:00 UTC, latest date only. */
export function scheduleOf(spec: ScheduleSpec | undefined): Schedule {
  return { cron: cronOf(spec), start: spec?.start, end: spec?.end, catchup: spec?.catchup ?? false, maxActiveRuns: spec?.max_active_runs };
}

export interface Due {
  /** Oldest first. */
  dates: DateTime[];
  /** More dates were due than the limit: `dates` holds the oldest ones, the others stay due for next time. */
  truncated: boolean;
}

/**
 * The logical dates due at `now`. With `catchup`, every one after `lastSuccessful` (or from `start` when nothing
 * has succeeded yet; only the latest when there is neither); without, only the latest, if it is after
 * `lastSuccessful`. Never a date outside `start`…`end`.
 */
export function dueDates(schedule: Schedule, now: DateTime, lastSuccessful?: DateTime, limit = MAX_DATES): Due {
  const latest = latestDue(schedule, now);
  const after = DateTime.max(...[lastSuccessful, beforeStart(schedule)].filter((d) => d !== undefined));
  if (after !== undefined && latest <= after) return { dates: [], truncated: false };
  if (!schedule.catchup || after === undefined) return { dates: [latest], truncated: false };
  const dates = ticksUpTo(schedule.cron, after, latest, limit + 1);
  return { dates: dates.slice(0, limit), truncated: dates.length > limit };
}

export interface Upcoming {
  date: DateTime;
  /** When its data interval ends and its run becomes due. */
  dueAt: DateTime;
}

/** The next logical date to become due after `now`, and when; none once the schedule's `end` has passed. */
export function nextDate(schedule: Schedule, now: DateTime): Upcoming | undefined {
  const open = tickAtOrBefore(schedule.cron, now);
  const first = schedule.start === undefined ? undefined : tickAtOrAfter(schedule.cron, startOfDay(schedule.start, schedule));
  const date = first !== undefined && first > open ? first : open;
  const last = lastDate(schedule);
  if (last !== undefined && date > last) return undefined;
  return { date, dueAt: nextTick(schedule.cron, date) };
}

/**
 * Every logical date (cron tick) from `from` to `to`, both inclusive, for a backfill. Each is a day (read in the
 * schedule's zone: from its first moment to its last) or an ISO timestamp, as `--date` takes them.
 */
export function datesBetween(schedule: Schedule, from: string, to: string, limit = MAX_DATES): Result<DateTime[], string> {
  const zone = schedule.cron.timezone;
  const lower = parseDateText(from, zone);
  if (!lower.ok) return lower;
  const upper = parseDateText(to, zone);
  if (!upper.ok) return upper;
  const first = lower.value.time;
  const last = upper.value.day ? upper.value.time.endOf('day') : upper.value.time;
  if (first > last) return fail(`the range is backwards: ${from} is after ${to}`);
  const dates = ticksUpTo(schedule.cron, first.minus({ milliseconds: 1 }), last, limit + 1);
  const cron = `\`${schedule.cron.expression}\` (${zone})`;
  if (dates.length > limit) return fail(`${from} to ${to} holds more than ${limit} logical dates of ${cron}; backfill shorter ranges`);
  if (dates.length === 0) return fail(`no logical date of ${cron} falls between ${from} and ${to}`);
  return ok(dates);
}

/** The latest date whose interval has ended by `now`, or the schedule's last date if that is earlier. */
function latestDue(schedule: Schedule, now: DateTime): DateTime {
  const open = tickAtOrBefore(schedule.cron, now); // its interval has not ended yet
  const latest = previousTick(schedule.cron, open);
  const last = lastDate(schedule);
  return last !== undefined && last < latest ? last : latest;
}

/** The ticks after `after` up to `last` (inclusive), at most `count` of them. */
function ticksUpTo(cron: Cron, after: DateTime, last: DateTime, count: number): DateTime[] {
  const dates: DateTime[] = [];
  const forward = ticksAfter(cron, after);
  for (let date = forward.next().value; date <= last && dates.length < count; date = forward.next().value) dates.push(date);
  return dates;
}

const lastDate = (schedule: Schedule): DateTime | undefined =>
  schedule.end === undefined ? undefined : tickAtOrBefore(schedule.cron, startOfDay(schedule.end, schedule).endOf('day'));

const beforeStart = (schedule: Schedule): DateTime | undefined =>
  schedule.start === undefined ? undefined : startOfDay(schedule.start, schedule).minus({ milliseconds: 1 });

const startOfDay = (day: string, schedule: Schedule): DateTime => DateTime.fromISO(day, { zone: schedule.cron.timezone });
