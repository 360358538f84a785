import { describe, expect, it } from 'vitest';
import { DateTime } from '../../src/schedule/luxon.js';
import { previousTick } from '../../src/schedule/cron.js';
import { datesBetween, dueDates, nextDate, scheduleOf, type Schedule } from '../../src/schedule/due.js';
import { iso, logicalDate, runMacros } from '../../src/schedule/logical-date.js';

const at = (text: string): DateTime => DateTime.fromISO(text, { setZone: true });
const isos = (dates: readonly DateTime[]): string[] => dates.map(iso);

function schedule(overrides: Partial<Omit<Schedule, 'cron'>> & { cron?: string; timezone?: string } = {}): Schedule {
  const { cron = '0 2 * * *', timezone = 'UTC', ...rest } = overrides;
  return { ...scheduleOf({ cron, timezone }), ...rest };
}

describe('dueDates', () => {
  const daily = schedule({ catchup: true });

  it('catches up on every day missed since the last successful date, and not on the one still open', () => {
    const due = dueDates(daily, at('2024-03-05T03:00:00Z'), at('2024-03-01T02:00:00Z'));
    expect(isos(due.dates)).toEqual(['2024-03-02T02:00:00Z', '2024-03-03T02:00:00Z', '2024-03-04T02:00:00Z']);
    expect(due.truncated).toBe(false);
  });

  it('makes a date due exactly when its interval ends', () => {
    const last = at('2024-03-01T02:00:00Z');
    expect(isos(dueDates(daily, at('2024-03-05T01:59:59Z'), last).dates).at(-1)).toBe('2024-03-03T02:00:00Z');
    expect(isos(dueDates(daily, at('2024-03-05T02:00:00Z'), last).dates).at(-1)).toBe('2024-03-04T02:00:00Z');
  });

  it('without catchup runs only the latest due date, and nothing once it has succeeded', () => {
    const latestOnly = schedule({ catchup: false });
    const now = at('2024-03-05T03:00:00Z');
    expect(isos(dueDates(latestOnly, now, at('2024-03-01T02:00:00Z')).dates)).toEqual(['2024-03-04T02:00:00Z']);
    expect(dueDates(latestOnly, now, at('2024-03-04T02:00:00Z')).dates).toEqual([]);
    expect(isos(dueDates(latestOnly, now).dates)).toEqual(['2024-03-04T02:00:00Z']);
  });

  it('catches up from start when nothing has succeeded yet, and only the latest without a start', () => {
    const now = at('2024-03-05T03:00:00Z');
    expect(isos(dueDates({ ...daily, start: '2024-03-03' }, now).dates)).toEqual(['2024-03-03T02:00:00Z', '2024-03-04T02:00:00Z']);
    expect(isos(dueDates(daily, now).dates)).toEqual(['2024-03-04T02:00:00Z']);
    expect(dueDates({ ...daily, start: '2024-03-05' }, now).dates).toEqual([]);
  });

  it('never goes before start, even after an older success', () => {
    const due = dueDates({ ...daily, start: '2024-03-03' }, at('2024-03-05T03:00:00Z'), at('2024-02-01T02:00:00Z'));
    expect(isos(due.dates)).toEqual(['2024-03-03T02:00:00Z', '2024-03-04T02:00:00Z']);
  });

  it('stops at end (a whole day, inclusive), with or without catchup', () => {
    const now = at('2024-03-10T12:00:00Z');
    const ending = { ...daily, start: '2024-03-01', end: '2024-03-03' };
    expect(isos(dueDates(ending, now).dates)).toEqual(['2024-03-01T02:00:00Z', '2024-03-02T02:00:00Z', '2024-03-03T02:00:00Z']);
    expect(isos(dueDates({ ...ending, catchup: false }, now).dates)).toEqual(['2024-03-03T02:00:00Z']);
    expect(dueDates(ending, now, at('2024-03-03T02:00:00Z')).dates).toEqual([]);
  });

  it('gives the oldest dates and says so when more are due than the limit', () => {
    const minutely = schedule({ cron: '* * * * *', catchup: true });
    const due = dueDates(minutely, at('2024-03-03T00:00:00Z'), at('2024-03-01T00:00:00Z'));
    expect(due.truncated).toBe(true);
    expect(due.dates).toHaveLength(1000);
    expect(iso(due.dates[0] ?? DateTime.invalid('none'))).toBe('2024-03-01T00:01:00Z');
    expect(dueDates(minutely, at('2024-03-01T00:04:00Z'), at('2024-03-01T00:00:00Z'), 3)).toMatchObject({ truncated: false });
  });

  it('uses daily at 00:00 UTC for a pipeline without a schedule', () => {
    const none = scheduleOf(undefined);
    expect(none).toMatchObject({ cron: { expression: '0 0 * * *', timezone: 'UTC' }, catchup: false });
    expect(isos(dueDates(none, at('2024-03-05T10:00:00+02:00')).dates)).toEqual(['2024-03-04T00:00:00Z']);
  });
});

describe('schedules in a timezone with daylight saving (Europe/Paris, 0 2 * * *)', () => {
  const paris = schedule({ timezone: 'Europe/Paris', catchup: true });

  it('keeps 2024-03-31, whose 02:00 does not exist, as 03:00 summer time', () => {
    const due = dueDates(paris, at('2024-04-02T12:00:00+02:00'), at('2024-03-29T02:00:00+01:00'));
    expect(isos(due.dates)).toEqual(['2024-03-30T02:00:00+01:00', '2024-03-31T03:00:00+02:00', '2024-04-01T02:00:00+02:00']);
  });

  it('loses no date when going back from after the change drops the cron tick', () => {
    // cron-parser, stepping back from 2024-04-01T02:00+02:00, jumps straight to 2024-03-30.
    const latestOnly = { ...paris, catchup: false };
    expect(isos(dueDates(latestOnly, at('2024-04-01T10:00:00+02:00')).dates)).toEqual(['2024-03-31T03:00:00+02:00']);
    expect(iso(previousTick(paris.cron, at('2024-04-01T02:00:00+02:00')))).toBe('2024-03-31T03:00:00+02:00');
    const cron = { expression: '0 2 * * *', timezone: 'Europe/Paris' };
    const date = logicalDate('2024-04-01', cron);
    expect(date.ok && runMacros(date.value, cron).prev_ds).toBe('2024-03-31');
  });

  it('runs a day with a doubled hour once (30 2 * * * on 2024-10-27)', () => {
    const autumn = { ...paris, cron: { expression: '30 2 * * *', timezone: 'Europe/Paris' } };
    const dates = datesBetween(autumn, '2024-10-26', '2024-10-28');
    expect(dates.ok && isos(dates.value)).toEqual(['2024-10-26T02:30:00+02:00', '2024-10-27T02:30:00+02:00', '2024-10-28T02:30:00+01:00']);
    expect(isos(dueDates({ ...autumn, catchup: false }, at('2024-10-28T12:00:00+01:00')).dates)).toEqual(['2024-10-27T02:30:00+02:00']);
  });

  it('makes each day due at its next local 02:00', () => {
    const upcoming = nextDate(paris, at('2024-03-30T12:00:00Z'));
    expect(upcoming && [iso(upcoming.date), iso(upcoming.dueAt)]).toEqual(['2024-03-30T02:00:00+01:00', '2024-03-31T03:00:00+02:00']);
  });
});

describe('nextDate', () => {
  const daily = schedule();
  const next = (s: Schedule, now: string) => {
    const upcoming = nextDate(s, at(now));
    return upcoming && { date: iso(upcoming.date), dueAt: iso(upcoming.dueAt) };
  };

  it('is the date whose interval is open now, due when it ends', () => {
    expect(next(daily, '2024-03-05T03:00:00Z')).toEqual({ date: '2024-03-05T02:00:00Z', dueAt: '2024-03-06T02:00:00Z' });
    expect(next(daily, '2024-03-05T01:00:00Z')).toEqual({ date: '2024-03-04T02:00:00Z', dueAt: '2024-03-05T02:00:00Z' });
  });

  it('waits for start and ends with end', () => {
    expect(next({ ...daily, start: '2024-06-01' }, '2024-03-05T03:00:00Z')).toEqual({ date: '2024-06-01T02:00:00Z', dueAt: '2024-06-02T02:00:00Z' });
    expect(next({ ...daily, end: '2024-03-04' }, '2024-03-05T03:00:00Z')).toBeUndefined();
    expect(next({ ...daily, end: '2024-03-05' }, '2024-03-05T03:00:00Z')).toEqual({ date: '2024-03-05T02:00:00Z', dueAt: '2024-03-06T02:00:00Z' });
  });
});

describe('datesBetween', () => {
  const between = (s: Schedule, from: string, to: string, limit?: number) => {
    const r = datesBetween(s, from, to, limit);
    return r.ok ? isos(r.value) : r.error;
  };

  it('gives every tick from the first day to the last, both whole days', () => {
    expect(between(schedule(), '2024-03-01', '2024-03-03')).toEqual(['2024-03-01T02:00:00Z', '2024-03-02T02:00:00Z', '2024-03-03T02:00:00Z']);
    expect(between(schedule({ cron: '0 */12 * * *' }), '2024-03-01', '2024-03-02')).toEqual([
      '2024-03-01T00:00:00Z', '2024-03-01T12:00:00Z', '2024-03-02T00:00:00Z', '2024-03-02T12:00:00Z',
    ]);
  });

  it('reads days in the schedule timezone and takes timestamps as they are', () => {
    expect(between(schedule({ cron: '0 0 * * *', timezone: 'Europe/Paris' }), '2024-03-01', '2024-03-02')).toEqual(['2024-03-01T00:00:00+01:00', '2024-03-02T00:00:00+01:00']);
    expect(between(schedule({ cron: '0 * * * *' }), '2024-03-01T10:00:00Z', '2024-03-01T12:00:00Z')).toEqual(['2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', '2024-03-01T12:00:00Z']);
  });

  it('refuses a backwards range, an empty one, a bad date and too many dates', () => {
    expect(between(schedule(), '2024-03-03', '2024-03-01')).toBe('the range is backwards: 2024-03-03 is after 2024-03-01');
    expect(between(schedule({ cron: '0 0 * * 1' }), '2024-03-05', '2024-03-07')).toBe('no logical date of `0 0 * * 1` (UTC) falls between 2024-03-05 and 2024-03-07');
    expect(between(schedule(), '2024-02-30', '2024-03-01')).toContain('`2024-02-30` is not a date');
    expect(between(schedule({ cron: '* * * * *' }), '2024-03-01', '2024-03-01')).toBe('2024-03-01 to 2024-03-01 holds more than 1000 logical dates of `* * * * *` (UTC); backfill shorter ranges');
    expect(between(schedule(), '2024-03-01', '2024-03-05', 4)).toContain('more than 4 logical dates');
    expect(between(schedule(), '2024-03-01', '2024-03-04', 4)).toHaveLength(4);
  });
});
