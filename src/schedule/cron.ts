import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { IANAZone } from './luxon.js';
import { fail, ok, type Result } from '../result.js';

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
