import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { DateTime, IANAZone } from './luxon.js';
import { fail, ok, type Result } from '../result.js';
import type { Schedule as ScheduleSpec } from '../validate/pipeline.generated.js';

/** Airflow's presets, which cron-parser would otherwise read with a seconds field. */
const PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

export interface Cron {
  expression: string;
  timezone: string;
}

export const DAILY: Cron = { expression: '0 0 * * *', timezone: 'UTC' };

/** The cron of a pipeline's `schedule:`; a pipeline without one runs daily at 00:00 UTC. */
export const cronOf = (spec: ScheduleSpec | undefined): Cron =>
  spec ? { expression: spec.cron, timezone: spec.timezone ?? 'UTC' } : DAILY;

/** Checks a cron expression (five fields or an @preset); the message says what is wrong. */
export function checkCron(expression: string): Result<string, string> {
  const normalized = PRESETS[expression.trim()] ?? expression.trim();
  const fields = normalized.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return fail(`a cron expression has five fields (minute hour day-of-month month day-of-week), this one has ${fields.length}`);
  }
  try {
    CronExpressionParser.parse(normalized, { tz: 'UTC' }).next();
    return ok(normalized);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}

export const isTimezone = (name: string): boolean => IANAZone.isValidZone(name);

/** An iterator over the cron's ticks starting from `from` (exclusive in both directions). */
export function ticks(cron: Cron, from: Date): CronExpression {
  const expression = PRESETS[cron.expression.trim()] ?? cron.expression;
  return CronExpressionParser.parse(expression, { currentDate: from, tz: cron.timezone });
}

/*
 * Walking ticks is done forwards only. cron-parser's backward steps are not the mirror of its forward ones
 * around daylight-saving changes: going back, `0 2 * * *` in Europe/Paris skips 2024-03-31 (whose 02:00 does
 * not exist and which forwards becomes 03:00) and yields 2024-10-27 twice (02:30 happens twice). A backward
 * step is only used to find a point safely before the tick wanted, and the ticks are then walked forwards.
 */

/** The cron's ticks after `after` (exclusive), in order, in the cron's zone; endless. */
export function* ticksAfter(cron: Cron, after: DateTime): Generator<DateTime, never> {
  const iterator = ticks(cron, after.toJSDate());
  for (;;) yield inZone(iterator.next().toDate(), cron);
}

/** The first tick after `after` (exclusive). */
export const nextTick = (cron: Cron, after: DateTime): DateTime => ticksAfter(cron, after).next().value;

/** The last tick before `before` (exclusive). */
export function previousTick(cron: Cron, before: DateTime): DateTime {
  const iterator = ticks(cron, before.toJSDate());
  // Three backward steps: each is a real tick earlier than the one before, so the anchor is at least two ticks
  // before the answer even when a backward step skipped or doubled one.
  for (let i = 0; i < 2; i++) iterator.prev();
  let last = inZone(iterator.prev().toDate(), cron);
  const forward = ticksAfter(cron, last);
  for (let tick = forward.next().value; tick < before; tick = forward.next().value) last = tick;
  return last;
}

/** The last tick at or before `time`. */
export const tickAtOrBefore = (cron: Cron, time: DateTime): DateTime => previousTick(cron, time.plus({ milliseconds: 1 }));

/** The first tick at or after `time`. */
export const tickAtOrAfter = (cron: Cron, time: DateTime): DateTime => nextTick(cron, time.minus({ milliseconds: 1 }));

const inZone = (date: Date, cron: Cron): DateTime => DateTime.fromJSDate(date, { zone: cron.timezone });
