import type { Reporter, RunEvent } from '../run/events.js';
import { type Colors, colorsFor } from './colors.js';
import {
  type Env,
  formatRunStart,
  formatSummary,
  formatTaskEnd,
  formatTaskRetry,
  formatTaskStart,
  formatWarning,
  type ReportStream,
  type RunStartEvent,
  summarizeRun,
  type TaskEndEvent,
} from './run-summary.js';

/** The longest partial line kept waiting for its newline; longer ones are cut and emitted as a line. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Cuts a stream of text chunks into lines. A partial line waits for its newline (or `flush()`). A lone `\r`
 * rewrites the line, as on a terminal, so a progress bar (`\r 10%\r 20%…`) keeps only its latest state instead of
 * growing without bound; `\r\n` is a newline. Memory is bounded by `maxLine`.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly maxLine = MAX_LINE_CHARS) {}

  /** The lines this chunk completed, without their line endings. */
  push(text: string): string[] {
    const pieces = (this.partial + text).split('\n');
    const rest = pieces.pop() ?? '';
    const lines = pieces.map(lastRewrite);
    // Keep a trailing `\r`: the `\n` of a `\r\n` may come in the next chunk.
    const cr = rest.lastIndexOf('\r', rest.length - 2);
    this.partial = cr >= 0 ? rest.slice(cr + 1) : rest;
    while (this.partial.length > this.maxLine) {
      lines.push(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
    return lines.flatMap((line) => (line.length > this.maxLine ? chunks(line, this.maxLine) : [line]));
  }

  /** What is left of an unfinished line: none or one. */
  flush(): string[] {
    const rest = lastRewrite(this.partial);
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}

function lastRewrite(line: string): string {
  const body = line.endsWith('\r') ? line.slice(0, -1) : line;
  return body.slice(body.lastIndexOf('\r') + 1);
}

function chunks(line: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += size) out.push(line.slice(i, i + size));
  return out;
}

export interface RunReporterOptions {
  /** For the colour policy (`NO_COLOR`, `FORCE_COLOR`); ignored when `colors` is given. Defaults to process.env. */
  env?: Env;
  colors?: Colors;
  /** The clock (ms since the epoch, like the events' `at`); tests pass a fake. */
  now?: () => number;
}

/**
 * For logs (CI, a pipe, a file): one line per event that matters, each task's output line prefixed with its id
 * (`[train[model=xgboost]] epoch 1 …`), and a summary line at the end. Holds no output beyond one partial line per
 * task.
 */
export class PlainReporter implements Reporter {
  private readonly c: Colors;
  private readonly logFiles = new Map<string, string>();
  private readonly lines = new Map<string, LineSplitter>();
  private readonly ends: TaskEndEvent[] = [];
  private start: RunStartEvent | undefined;
  private pending: string[] = [];

  constructor(
    private readonly stream: ReportStream,
    options: RunReporterOptions = {},
  ) {
    this.c = options.colors ?? colorsFor(stream, options.env ?? process.env);
  }

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.start = e;
        this.write([formatRunStart(e, this.c)]);
        return;
      case 'task-start':
        this.logFiles.set(e.id, e.logFile);
        this.write([...this.flushTask(e.id), formatTaskStart(e, this.c)]);
        return;
      case 'task-output': {
        let lines = this.lines.get(e.id);
        if (lines === undefined) this.lines.set(e.id, (lines = new LineSplitter()));
        this.write(lines.push(e.text).map((line) => this.prefix(e.id, line)));
        return;
      }
      case 'task-retry':
        this.write([...this.flushTask(e.id), formatTaskRetry(e, this.c)]);
        return;
      case 'warning':
        this.write([formatWarning(e, this.c)]);
        return;
      case 'task-end':
        this.ends.push(e);
        this.write([...this.flushTask(e.id), formatTaskEnd(e, this.c, this.logFiles.get(e.id))]);
        this.lines.delete(e.id);
        return;
      case 'run-end': {
        const summary = summarizeRun({ start: this.start, ends: this.ends, end: e });
        this.write([...this.flushAll(), formatSummary(summary, this.c)]);
        return;
      }
    }
  }

  close(): void {
    this.write(this.flushAll());
    this.flushPending();
  }

  private flushTask(id: string): string[] {
    return (this.lines.get(id)?.flush() ?? []).map((line) => this.prefix(id, line));
  }

  private flushAll(): string[] {
    const out = [...this.lines.keys()].flatMap((id) => this.flushTask(id));
    this.lines.clear();
    return out;
  }

  private prefix(id: string, line: string): string {
    const tag = this.c.dim(`[${id}]`);
    return line === '' ? tag : `${tag} ${line}`;
  }

  /**
   * Lines are gathered and written once per turn of the event loop: a write to a pipe is a system call, and a
   * 1,000-task run restored from the cache would otherwise make 1,000 of them in a row.
   */
  private write(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.pending.length === 0) setImmediate(() => this.flushPending());
    this.pending.push(...lines);
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.stream.write(text);
  }
}
