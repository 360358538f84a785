import type { Reporter, RunEvent } from './events.js';

/** What a secret's value is replaced with. */
export const MASK = '***';
/** Shorter values are not hidden, as on GitHub: they would mask ordinary words and numbers everywhere. */
const MIN_LENGTH = 4;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The values of the declared secrets that are set in `env`, line by line: output is read and shown in lines,
 * so a multi-line value (a key file) is hidden line by line, each line that is long enough.
 */
export function secretLines(names: readonly string[], env: Env): string[] {
  const lines = names.flatMap((name) => (env[name] ?? '').split(/\r?\n/));
  return [...new Set(lines.filter(hideable))];
}

const hideable = (value: string): boolean => value.trim().length >= MIN_LENGTH;

/** Replaces secret values, as they are and in their common encodings, with {@link MASK}. */
export class Redactor {
  private readonly patterns: readonly string[];
  private readonly matcher: RegExp | undefined;

  constructor(values: readonly string[]) {
    // Longest first: where two overlap, the longer one is hidden whole.
    this.patterns = [...new Set(values.filter(hideable).flatMap(encodings))].filter((p) => p.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
    this.matcher = this.patterns.length === 0 ? undefined : new RegExp(this.patterns.map(escapeRegExp).join('|'), 'g');
  }

  static forSecrets(names: readonly string[], env: Env): Redactor {
    return new Redactor(secretLines(names, env));
  }

  /** False when there is nothing to hide (no secrets declared, or none set). */
  get active(): boolean {
    return this.matcher !== undefined;
  }

  redact(text: string): string {
    return this.matcher === undefined ? text : text.replace(this.matcher, MASK);
  }

  /** `changed`: at least one value held a secret. */
  redactValues(values: Record<string, string>): { values: Record<string, string>; changed: boolean } {
    if (this.matcher === undefined) return { values, changed: false };
    const redacted = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, this.redact(value)]));
    return { values: redacted, changed: Object.keys(values).some((key) => redacted[key] !== values[key]) };
  }

  /**
   * How much of a stream's text can be redacted and shown now. Output arrives in arbitrary pieces, so a secret
   * may be cut between two of them: what could still become one with the next piece is held back, and so is a
   * whole secret that the cut would split.
   */
  safeLength(text: string): number {
    if (this.matcher === undefined) return text.length;
    const cut = this.partialSecretStart(text);
    for (const match of text.matchAll(this.matcher)) {
      if (match.index < cut && match.index + match[0].length > cut) return match.index;
    }
    return cut;
  }

  /** Where the longest end of `text` that is the beginning of a secret starts; text.length if there is none. */
  private partialSecretStart(text: string): number {
    const longest = this.patterns[0]?.length ?? 0;
    for (let start = Math.max(0, text.length - longest + 1); start < text.length; start++) {
      const tail = text.slice(start);
      if (this.patterns.some((p) => p.length > tail.length && p.startsWith(tail))) return start;
    }
    return text.length;
  }
}

/** The value as is, JSON-escaped, URL-encoded and base64-encoded: the forms a task commonly prints it in. */
function encodings(value: string): string[] {
  const url = value.isWellFormed() ? encodeURIComponent(value) : value;
  return [value, JSON.stringify(value).slice(1, -1), url, ...base64Forms(value)];
}

/**
 * Base64 of the value wherever it starts in a 3-byte group (alone, or inside a longer encoded text), without
 * the characters that also depend on the bytes around it (GitHub masks the same three forms).
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value);
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').replace(/=+$/, '');
    const end = (offset + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
    return encoded.slice(LEADING_MIXED[offset], end);
  });
}

/** Base64 characters at the start that mix in bytes before the value, by its offset in a 3-byte group. */
const LEADING_MIXED = [0, 2, 3] as const;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Sits between the executor and every reporter (terminal, GitHub groups, the run record and so the job
 * summary), so none of them ever sees a secret: in task output, commands, reasons, warnings and task outputs.
 * The executor keeps the real outputs for the tasks that need them. Closing stays with the wrapped reporter.
 */
export class RedactingReporter implements Reporter {
  /** Per task: output held back because a secret may continue in the next piece. */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly inner: Reporter,
    private readonly redactor: Redactor,
  ) {}

  onEvent(event: RunEvent): void {
    if (event.type === 'task-output') return this.output(event.id, event.text);
    if (event.type === 'task-retry' || event.type === 'task-end') this.release(event.id);
    if (event.type === 'run-end') for (const id of [...this.held.keys()]) this.release(id);
    this.inner.onEvent(this.redacted(event));
  }

  private output(id: string, text: string): void {
    const pending = (this.held.get(id) ?? '') + text;
    const cut = this.redactor.safeLength(pending);
    if (cut < pending.length) this.held.set(id, pending.slice(cut));
    else this.held.delete(id);
    if (cut > 0) this.inner.onEvent({ type: 'task-output', id, text: this.redactor.redact(pending.slice(0, cut)) });
  }

  /** The attempt has ended: what was held back cannot grow into a secret any more. */
  private release(id: string): void {
    const rest = this.held.get(id);
    this.held.delete(id);
    if (rest !== undefined) this.inner.onEvent({ type: 'task-output', id, text: this.redactor.redact(rest) });
  }

  private redacted(event: RunEvent): RunEvent {
    const redact = (text: string) => this.redactor.redact(text);
    switch (event.type) {
      case 'task-start':
        return { ...event, command: redact(event.command) };
      case 'task-retry':
        return { ...event, reason: redact(event.reason) };
      case 'warning':
        return { ...event, message: redact(event.message) };
      case 'task-end': {
        const outputs = this.redactor.redactValues(event.outputs);
        return {
          ...event,
          outputs: outputs.values,
          ...(event.reason === undefined ? {} : { reason: redact(event.reason) }),
          ...(outputs.changed ? { outputsRedacted: true as const } : {}),
        };
      }
      default:
        return event;
    }
  }
}
