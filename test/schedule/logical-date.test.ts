import { describe, expect, it } from 'vitest';
import { checkCron } from '../../src/schedule/cron.js';
import { logicalDate, runMacros } from '../../src/schedule/logical-date.js';

function macros(date: string, expression: string, timezone = 'UTC') {
  const cron = { expression, timezone };
  const parsed = logicalDate(date, cron);
  if (!parsed.ok) throw new Error(parsed.error);
  return runMacros(parsed.value, cron);
}

describe('run macros', () => {
  it('gives a daily run its Airflow data interval', () => {
    expect(macros('2024-03-01', '0 0 * * *')).toEqual({
      ds: '2024-03-01',
      ds_nodash: '20240301',
      ts: '2024-03-01T00:00:00Z',
      ts_nodash: '20240301T000000',
      logical_date: '2024-03-01T00:00:00Z',
      data_interval_start: '2024-03-01T00:00:00Z',
      data_interval_end: '2024-03-02T00:00:00Z',
      prev_ds: '2024-02-29',
      next_ds: '2024-03-02',
      id: 'manual__2024-03-01T00:00:00Z',
    });
  });

  it('moves a day to its first cron tick', () => {
    const m = macros('2024-03-01', '0 2 * * *');
    expect(m.ts).toBe('2024-03-01T02:00:00Z');
    expect(m.data_interval_end).toBe('2024-03-02T02:00:00Z');
  });

  it('reads the day in the schedule timezone', () => {
    const m = macros('2024-03-01', '0 2 * * *', 'Europe/Paris');
    expect(m.ts).toBe('2024-03-01T02:00:00+01:00');
    expect(m.ds).toBe('2024-03-01');
  });

  it('uses the cron for prev and next on a weekly schedule', () => {
    const m = macros('2024-03-04', '0 0 * * 1');
    expect([m.prev_ds, m.ds, m.next_ds]).toEqual(['2024-02-26', '2024-03-04', '2024-03-11']);
  });

  it('crosses a daylight-saving change without losing the local hour', () => {
    const m = macros('2024-03-30', '0 2 * * *', 'Europe/Paris');
    expect(m.data_interval_end).toBe('2024-03-31T03:00:00+02:00');
  });

  it('accepts a timestamp with an offset', () => {
    expect(macros('2024-03-01T02:00:00Z', '0 2 * * *').ds).toBe('2024-03-01');
  });

  it('refuses a date that does not exist', () => {
    const r = logicalDate('2024-02-30', { expression: '0 0 * * *', timezone: 'UTC' });
    expect(r.ok).toBe(false);
  });
});

describe('cron', () => {
  it('accepts five fields and presets', () => {
    expect(checkCron('0 2 * * *')).toEqual({ ok: true, value: '0 2 * * *' });
    expect(checkCron('@daily')).toEqual({ ok: true, value: '0 0 * * *' });
  });
  it('says how many fields are wrong', () => {
    const r = checkCron('* * *');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('this one has 3');
  });
  it('names an out-of-range value', () => {
    const r = checkCron('61 * * * *');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/61/);
  });
});
