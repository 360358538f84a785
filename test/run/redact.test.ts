import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/run/events.js';
import { RedactingReporter, Redactor, secretLines } from '../../src/run/redact.js';
import { Recorder } from '../helpers/execution.js';

const SECRET = 's3cr3t-value';
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('secretLines', () => {
  it('takes the declared variables that are set, line by line, skipping values under 4 characters', () => {
    const env = { TOKEN: SECRET, PIN: '123', UNSET: undefined, KEY: '-----BEGIN KEY-----\r\nAbCdEf0123\n\n-----END KEY-----', OTHER: 'not-declared' };
    expect(secretLines(['TOKEN', 'PIN', 'UNSET', 'MISSING', 'KEY'], env)).toEqual([SECRET, '-----BEGIN KEY-----', 'AbCdEf0123', '-----END KEY-----']);
  });
});

describe('Redactor', () => {
  const redactor = new Redactor([SECRET]);

  it('hides the value as is, JSON-escaped and URL-encoded', () => {
    const quoted = new Redactor(['pa"ss word/1']);
    expect(quoted.redact('raw pa"ss word/1, json {"p":"pa\\"ss word/1"}, url ?p=pa%22ss%20word%2F1')).toBe('raw ***, json {"p":"***"}, url ?p=***');
  });

  it('hides the value in base64, wherever it starts in the encoded text', () => {
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const encoded = base64(`${prefix}${SECRET}`);
      const redacted = redactor.redact(encoded);
      expect(redacted, prefix).toContain('***');
      // What is left can no longer hold the value: at most its first and last few bits.
      expect(redacted.replace('***', '').length, prefix).toBeLessThan(encoded.length - 8);
    }
  });

  it('leaves values under 4 characters alone, and hides the longer of two overlapping secrets whole', () => {
    expect(new Redactor(['abc']).redact('abc abcd')).toBe('abc abcd');
    expect(new Redactor(['token', 'token-with-suffix']).redact('a token-with-suffix and a token')).toBe('a *** and a ***');
  });

  it('hides secrets in outputs and says whether one was there', () => {
    expect(redactor.redactValues({ token: `Bearer ${SECRET}`, user: 'ml-bot' })).toEqual({ values: { token: 'Bearer ***', user: 'ml-bot' }, changed: true });
    expect(redactor.redactValues({ user: 'ml-bot' })).toEqual({ values: { user: 'ml-bot' }, changed: false });
  });

  it('is inactive without a value to hide', () => {
    expect(new Redactor([]).active).toBe(false);
    expect(new Redactor(['abc']).active).toBe(false);
    expect(redactor.active).toBe(true);
  });
});

describe('RedactingReporter', () => {
  const reporterFor = (secrets: string[]) => {
    const recorder = new Recorder();
    return { recorder, reporter: new RedactingReporter(recorder, new Redactor(secrets)) };
  };
  const shown = (events: readonly RunEvent[]) => events.map((e) => (e.type === 'task-output' ? e.text : '')).join('');

  it('shows output cut anywhere exactly as the whole output redacted: a secret split between pieces never shows', () => {
    // Overlapping secrets: one inside another, and one that starts where another ends (`s3cr3t-value-2-x`).
    const secrets = ['s3cr3t', 's3cr3t-value', 'value-2-x'];
    const text = fc.array(fc.constantFrom('s3cr3t', 's3', 'cr3t', '-value', 'value', '-2', '-x', ' ', '\n'), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 4 }), (output, cuts) => {
        const { recorder, reporter } = reporterFor(secrets);
        const points = [...new Set(cuts.map((c) => c % (output.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...points, output.length]) {
          reporter.onEvent({ type: 'task-output', id: 'a', text: output.slice(from, to) });
          from = to;
        }
        reporter.onEvent({ type: 'task-end', id: 'a', status: 'succeeded', attempts: 1, exitCode: 0, durationMs: 1, outputs: {}, at: 0 });
        expect(shown(recorder.events)).toBe(new Redactor(secrets).redact(output));
      }),
      { numRuns: 1000 },
    );
  });

  it('holds a whole secret back when the end of it could start another one', () => {
    const { recorder, reporter } = reporterFor(['s3cr3t-value', 'value-2-x']);
    reporter.onEvent({ type: 'task-output', id: 'a', text: 'got s3cr3t-value-2' });
    expect(shown(recorder.events)).toBe('got ');
    reporter.onEvent({ type: 'task-output', id: 'a', text: '\n' });
    expect(shown(recorder.events)).toBe('got ***-2\n');
  });

  it('holds back only what could still become a secret, and releases it when the attempt ends', () => {
    const { recorder, reporter } = reporterFor([SECRET]);
    reporter.onEvent({ type: 'task-output', id: 'a', text: 'progress 10% s3cr' });
    expect(shown(recorder.events)).toBe('progress 10% ');
    reporter.onEvent({ type: 'task-retry', id: 'a', attempt: 2, maxAttempts: 2, delayMs: 0, reason: 'exit code 1' });
    expect(shown(recorder.events)).toBe('progress 10% s3cr');
    expect(recorder.events.map((e) => e.type)).toEqual(['task-output', 'task-output', 'task-retry']);
  });

  it('hides secrets in commands, reasons, warnings and outputs, and marks redacted outputs', () => {
    const { recorder, reporter } = reporterFor([SECRET]);
    reporter.onEvent({ type: 'task-start', id: 'a', attempt: 1, command: `bash -c 'curl -H ${SECRET}'`, logFile: 'a.log', at: 0 });
    reporter.onEvent({ type: 'warning', id: 'a', message: `cache: ${SECRET}` });
    reporter.onEvent({ type: 'task-end', id: 'a', status: 'failed', attempts: 1, exitCode: 1, durationMs: 1, reason: `bad line "${SECRET}"`, outputs: { token: SECRET }, at: 0 });
    reporter.onEvent({ type: 'task-end', id: 'b', status: 'succeeded', attempts: 1, exitCode: 0, durationMs: 1, outputs: { user: 'bot' }, at: 0 });
    expect(JSON.stringify(recorder.events)).not.toContain(SECRET);
    expect(recorder.events).toMatchObject([
      { command: "bash -c 'curl -H ***'" },
      { message: 'cache: ***' },
      { reason: 'bad line "***"', outputs: { token: '***' }, outputsRedacted: true },
      { outputs: { user: 'bot' } },
    ]);
    expect(recorder.events[3]).not.toHaveProperty('outputsRedacted');
  });
});
