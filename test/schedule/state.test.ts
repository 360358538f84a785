import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iso } from '../../src/schedule/logical-date.js';
import { DateTime } from '../../src/schedule/luxon.js';
import { readLastSuccessful, recordSuccess, stateFile } from '../../src/schedule/state.js';

const root = mkdtempSync(join(tmpdir(), 'dagline-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = () => join(root, String(folders++), 'schedule');
const at = (text: string) => DateTime.fromISO(text, { setZone: true });

function last(dir: string, pipeline: string): string | undefined {
  const read = readLastSuccessful(dir, pipeline);
  if (!read.ok) throw new Error(read.error);
  return read.value && iso(read.value);
}

describe('schedule state', () => {
  it('has no date before the first success, then the date that succeeded', () => {
    const dir = folder();
    expect(last(dir, 'Churn Model')).toBeUndefined();
    expect(recordSuccess(dir, 'Churn Model', at('2024-03-01T02:00:00+01:00'))).toEqual({ ok: true, value: true });
    expect(last(dir, 'Churn Model')).toBe('2024-03-01T02:00:00+01:00');
    expect(readdirSync(dir)).toEqual(['churn-model.json']);
  });

  it('never moves backwards', () => {
    const dir = folder();
    recordSuccess(dir, 'p', at('2024-03-05T00:00:00Z'));
    expect(recordSuccess(dir, 'p', at('2024-03-02T00:00:00Z'))).toEqual({ ok: true, value: false });
    expect(recordSuccess(dir, 'p', at('2024-03-05T00:00:00Z'))).toEqual({ ok: true, value: false });
    expect(last(dir, 'p')).toBe('2024-03-05T00:00:00Z');
    expect(recordSuccess(dir, 'p', at('2024-03-06T00:00:00Z'))).toEqual({ ok: true, value: true });
    expect(last(dir, 'p')).toBe('2024-03-06T00:00:00Z');
  });

  it('keeps one file per pipeline, and leaves no temporary file behind', () => {
    const dir = folder();
    recordSuccess(dir, 'a', at('2024-03-01T00:00:00Z'));
    recordSuccess(dir, 'b', at('2024-04-01T00:00:00Z'));
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json']);
    expect(last(dir, 'a')).toBe('2024-03-01T00:00:00Z');
    expect(JSON.parse(readFileSync(stateFile(dir, 'b'), 'utf8'))).toMatchObject({ format: 1, pipeline: 'b', lastSuccessful: '2024-04-01T00:00:00Z' });
  });

  it('says when the file is not a state file, and a success repairs it', () => {
    const dir = folder();
    recordSuccess(dir, 'p', at('2024-03-01T00:00:00Z'));
    writeFileSync(stateFile(dir, 'p'), '{ "format": 1, "lastSuccessful": "yesterday" }');
    const read = readLastSuccessful(dir, 'p');
    expect(read.ok ? 'read' : read.error).toMatch(/p\.json is not a schedule state file/);
    recordSuccess(dir, 'p', at('2024-03-02T00:00:00Z'));
    expect(last(dir, 'p')).toBe('2024-03-02T00:00:00Z');
  });
});
