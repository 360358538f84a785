import type { Reporter, RunEvent } from '../run/events.js';
import { type Colors, colorsFor } from './colors.js';
import { LineSplitter, type RunReporterOptions } from './run-plain.js';
import {
  formatElapsed,
  formatRunStart,
  formatSummary,
  formatTaskEnd,
  formatTaskRetry,
  formatWarning,
  type ReportStream,
  type RunStartEvent,
  summarizeRun,
  type TaskEndEvent,
} from './run-summary.js';

/** At most this many redraws a second (one per 100 ms). */
export const REDRAW_INTERVAL_MS = 100;
/** The clocks in the block tick this often even when no event arrives. */
export const TICK_MS = 1000;
/** Running tasks listed in the block before `… and N more`. */
export const MAX_RUNNING_LINES = 8;
/** Output lines of a failed task printed under its `✖` line. */
export const FAILURE_TAIL_LINES = 20;
/** Longest output line kept in a task's tail. */
const MAX_TAIL_LINE_CHARS = 2000;

const CSI = '\x1b[';
/** Cursor up one line, then clear it: repeated once per line of the previous block. */
export const UP_AND_CLEAR = `${CSI}1A${CSI}2K`;

/** The last `capacity` lines, in order, and how many fell off the front. */
export class TailBuffer {
  private readonly items: string[] = [];
  private next = 0;
  dropped = 0;

  constructor(readonly capacity: number) {}

  push(line: string): void {
    if (this.items.length < this.capacity) {
      this.items.push(line);
      return;
    }
    this.items[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.dropped += 1;
  }

  lines(): string[] {
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }

  last(): string | undefined {
    return this.items.length === 0 ? undefined : this.items[(this.next + this.items.length - 1) % this.items.length];
  }
}

interface RunningTask {
  id: string;
  attempt: number;
  startedAt: number;
  logFile: string;
  /** Set between a `task-retry` and the next `task-start`: when the next attempt begins. */
  retryAt: number | undefined;
  lines: LineSplitter;
  tail: TailBuffer;
}

/**
 * For a terminal: a status block (`done N/M · running K · queued Q · 14s` and the running tasks with their clocks)
 * redrawn in place, at most every 100 ms, with finished tasks, retries and failures (plus the failed task's last
 * output lines) printed as permanent lines above it. Keeps only a small tail of each running task's output.
 * Its timers are unref'd and cleared by run-end and close(), so they never keep the process alive.
 */
export class LiveReporter implements Reporter {
  private readonly c: Colors;
  private readonly now: () => number;
  private readonly running = new Map<string, RunningTask>();
  private readonly ends: TaskEndEvent[] = [];
  private start: RunStartEvent | undefined;
  private startedAt: number | undefined;
  private total = 0;
  private done = 0;
  /** Permanent lines waiting for the next redraw. */
  private pending: string[] = [];
  /** Lines of the block on screen, to erase before the next draw. */
  private blockLines = 0;
  private lastRender = -Infinity;
  private redraw: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly stream: ReportStream,
    options: RunReporterOptions = {},
  ) {
    this.c = options.colors ?? colorsFor(stream, options.env ?? process.env);
    this.now = options.now ?? Date.now;
  }

  onEvent(e: RunEvent): void {
    if (e.type === 'run-end') {
      this.pending.push(formatSummary(summarizeRun({ start: this.start, ends: this.ends, end: e }), this.c));
      this.finish();
      return;
    }
    this.startedAt ??= this.now();
    switch (e.type) {
      case 'run-start':
        this.start = e;
        this.total = e.tasks.length;
        this.pending.push(formatRunStart(e, this.c));
        break;
      case 'task-start':
        // A retry keeps its place in the list but starts a fresh tail: the failure to show is the last attempt's.
        this.running.set(e.id, {
          id: e.id,
          attempt: e.attempt,
          startedAt: e.at,
          logFile: e.logFile,
          retryAt: undefined,
          lines: new LineSplitter(),
          tail: new TailBuffer(FAILURE_TAIL_LINES),
        });
        break;
      case 'task-output': {
        const task = this.running.get(e.id);
        if (task === undefined) return;
        for (const line of task.lines.push(e.text)) task.tail.push(clip(line));
        break;
      }
      case 'task-retry': {
        const task = this.running.get(e.id);
        if (task !== undefined) {
          for (const line of task.lines.flush()) task.tail.push(clip(line));
          task.retryAt = this.now() + e.delayMs;
        }
        this.pending.push(formatTaskRetry(e, this.c));
        break;
      }
      case 'warning':
        this.pending.push(formatWarning(e, this.c));
        break;
      case 'task-end': {
        const task = this.running.get(e.id);
        this.running.delete(e.id);
        this.ends.push(e);
        this.done += 1;
        this.pending.push(formatTaskEnd(e, this.c, task?.logFile));
        if (e.status === 'failed' && task !== undefined) {
          for (const line of task.lines.flush()) task.tail.push(clip(line));
          this.pending.push(...this.failureTail(task));
        }
        break;
      }
    }
    this.schedule();
  }

  close(): void {
    if (!this.ended) this.finish();
  }

  private failureTail(task: RunningTask): string[] {
    const bar = this.c.dim('  │');
    const out = task.tail.dropped > 0 ? [this.c.dim(`  │ … ${task.tail.dropped} earlier lines (log: ${task.logFile})`)] : [];
    for (const line of task.tail.lines()) out.push(line === '' ? bar : `${bar} ${line}`);
    return out;
  }

  /** Redraws now if the last redraw is 100 ms old, else once it is (one timer at most, so bursts coalesce). */
  private schedule(): void {
    if (this.ended) {
      this.render(false);
      return;
    }
    if (this.tick === undefined) {
      this.tick = setInterval(() => this.schedule(), TICK_MS);
      this.tick.unref();
    }
    if (this.redraw !== undefined) return;
    const wait = this.lastRender + REDRAW_INTERVAL_MS - this.now();
    if (wait <= 0) {
      this.render(true);
      return;
    }
    this.redraw = setTimeout(() => {
      this.redraw = undefined;
      this.render(true);
    }, wait);
    this.redraw.unref();
  }

  /** Stops the timers and leaves the screen with the permanent lines only. */
  private finish(): void {
    clearTimeout(this.redraw);
    clearInterval(this.tick);
    this.redraw = undefined;
    this.tick = undefined;
    this.ended = true;
    this.render(false);
  }

  private render(withBlock: boolean): void {
    this.lastRender = this.now();
    const block = withBlock ? this.block() : [];
    let out = UP_AND_CLEAR.repeat(this.blockLines);
    for (const line of this.pending) out += `${line}\n`;
    for (const line of block) out += `${line}\n`;
    this.pending = [];
    this.blockLines = block.length;
    if (out !== '') this.stream.write(out);
  }

  /** The status block, each line cut to the terminal's width so none wraps (which would break the erase). */
  private block(): string[] {
    const now = this.now();
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const running = [...this.running.values()];
    const total = Math.max(this.total, this.done + running.length);
    const queued = Math.max(0, total - this.done - running.length);
    const header = `done ${this.done}/${total} · running ${running.length} · queued ${queued} · ${formatElapsed(now - (this.startedAt ?? now))}`;
    const lines = [this.c.bold(fit(header, width))];

    const shown = running.slice(0, MAX_RUNNING_LINES);
    const name = (t: RunningTask): string => (t.attempt > 1 ? `${t.id} (attempt ${t.attempt})` : t.id);
    const nameWidth = Math.min(40, shown.reduce((w, t) => Math.max(w, name(t).length), 0));
    for (const task of shown) {
      const clock =
        task.retryAt !== undefined ? `retry in ${formatElapsed(task.retryAt - now + 999)}` : formatElapsed(now - task.startedAt);
      const head = fit(`  ${name(task).padEnd(nameWidth)}  ${clock.padStart(6)}`, width);
      const last = task.tail.last();
      const room = width - head.length - 2;
      lines.push(last !== undefined && room > 3 ? `${head}  ${this.c.dim(fit(printable(last), room))}` : head);
    }
    if (running.length > shown.length) lines.push(this.c.dim(fit(`  … and ${running.length - shown.length} more`, width)));
    return lines;
  }
}

/** Cuts `text` to `width` characters, ending in `…` when cut. */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

const clip = (line: string): string => (line.length > MAX_TAIL_LINE_CHARS ? `${line.slice(0, MAX_TAIL_LINE_CHARS)}…` : line);

/** An output line made safe for one row of the block: no escape sequences or control characters. */
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f]/g;
const printable = (line: string): string => line.replaceAll('\t', ' ').replace(CONTROL, '').trim();
