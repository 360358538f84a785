import type { Reporter, RunEvent } from '../run/events.js';
import { type Colors, colorsFor } from './colors.js';
import { LineSplitter, type RunReporterOptions } from './run-plain.js';
import {
  failureReason,
  formatRunStart,
  formatSummary,
  formatTaskEnd,
  formatTaskRetry,
  formatTaskStart,
  type ReportStream,
  type RunStartEvent,
  summarizeRun,
  type TaskEndEvent,
} from './run-summary.js';
import { escapeData, workflowCommand } from './workflow-commands.js';

/** The most output (UTF-8 bytes, newlines included) held for one task's group. */
export const GROUP_CAP_BYTES = 1024 * 1024;

const lineBytes = (line: string): number => Buffer.byteLength(line, 'utf8') + 1;

/**
 * A task's output lines up to `cap` bytes: once over, it keeps the first quarter and the latest lines (where a
 * failure usually is) and counts what it dropped in between.
 */
export class CappedLines {
  private readonly head: string[] = [];
  private headBytes = 0;
  private tail: string[] = [];
  private tailFrom = 0;
  private tailBytes = 0;
  private readonly headCap: number;
  private readonly tailCap: number;
  omitted = 0;

  constructor(cap = GROUP_CAP_BYTES) {
    this.headCap = Math.floor(cap / 4);
    this.tailCap = cap - this.headCap;
  }

  push(line: string): void {
    const bytes = lineBytes(line);
    if (this.tail.length === 0 && this.headBytes + bytes <= this.headCap) {
      this.head.push(line);
      this.headBytes += bytes;
      return;
    }
    this.tail.push(line);
    this.tailBytes += bytes;
    while (this.tailBytes > this.tailCap && this.tailFrom < this.tail.length) {
      this.tailBytes -= lineBytes(this.tail[this.tailFrom] ?? '');
      this.tailFrom += 1;
      this.omitted += 1;
    }
    if (this.tailFrom > 1024 && this.tailFrom * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailFrom);
      this.tailFrom = 0;
    }
  }

  get empty(): boolean {
    return this.head.length === 0 && this.tail.length === this.tailFrom && this.omitted === 0;
  }

  /** The kept lines, with `note` (given the count dropped) where the dropped ones were. */
  lines(note: (omitted: number) => string): string[] {
    const tail = this.tail.slice(this.tailFrom);
    return this.omitted > 0 ? [...this.head, note(this.omitted), ...tail] : [...this.head, ...tail];
  }
}

interface TaskGroup {
  logFile: string;
  lines: LineSplitter;
  output: CappedLines;
}

export interface GitHubReporterOptions extends RunReporterOptions {
  /** Per-task output cap; defaults to GROUP_CAP_BYTES (1 MiB). */
  capBytes?: number;
}

/**
 * For GitHub Actions: the start and end of each task as lines in the log, and each task's output folded into one
 * `::group::<id>` … `::endgroup::`. Groups can't interleave while tasks run in parallel, so a task's output is held
 * (up to 1 MiB) and its whole group is printed when it ends. A failure also raises `::error title=<id> failed::…`.
 * Task output passes through unescaped, so workflow commands the task itself prints (`::warning::…`) still work.
 */
export class GitHubReporter implements Reporter {
  private readonly c: Colors;
  private readonly capBytes: number;
  private readonly groups = new Map<string, TaskGroup>();
  private readonly ends: TaskEndEvent[] = [];
  private start: RunStartEvent | undefined;

  constructor(
    private readonly stream: ReportStream,
    options: GitHubReporterOptions = {},
  ) {
    this.c = options.colors ?? colorsFor(stream, options.env ?? process.env);
    this.capBytes = options.capBytes ?? GROUP_CAP_BYTES;
  }

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.start = e;
        this.write([formatRunStart(e, this.c)]);
        return;
      case 'task-start': {
        const group = this.groups.get(e.id);
        if (group === undefined) {
          this.groups.set(e.id, { logFile: e.logFile, lines: new LineSplitter(), output: new CappedLines(this.capBytes) });
        } else {
          group.logFile = e.logFile;
          this.hold(group, group.lines.flush());
          this.hold(group, [formatTaskStart(e, this.c)]);
        }
        this.write([formatTaskStart(e, this.c)]);
        return;
      }
      case 'task-output': {
        const group = this.groups.get(e.id);
        if (group !== undefined) this.hold(group, group.lines.push(e.text));
        return;
      }
      case 'warning':
        this.write([workflowCommand('warning', { title: e.id === undefined ? 'dagline' : `dagline: ${e.id}` }, e.message)]);
        return;
      case 'task-retry': {
        const line = formatTaskRetry(e, this.c);
        const group = this.groups.get(e.id);
        if (group !== undefined) this.hold(group, [...group.lines.flush(), line]);
        this.write([line]);
        return;
      }
      case 'task-end': {
        this.ends.push(e);
        const group = this.groups.get(e.id);
        this.groups.delete(e.id);
        const out = group !== undefined ? this.group(e.id, group) : [];
        out.push(formatTaskEnd(e, this.c, group?.logFile));
        if (e.status === 'failed') out.push(workflowCommand('error', { title: `${e.id} failed` }, failureReason(e) ?? 'failed'));
        this.write(out);
        return;
      }
      case 'run-end': {
        const summary = summarizeRun({ start: this.start, ends: this.ends, end: e });
        this.write([...this.flushAll(), formatSummary(summary, this.c)]);
        return;
      }
    }
  }

  close(): void {
    this.write(this.flushAll());
  }

  private hold(group: TaskGroup, lines: readonly string[]): void {
    for (const line of lines) group.output.push(line);
  }

  /** The task's group; empty when it printed nothing. */
  private group(id: string, group: TaskGroup): string[] {
    this.hold(group, group.lines.flush());
    if (group.output.empty) return [];
    const note = (omitted: number) =>
      this.c.yellow(`… output truncated (${omitted} line${omitted === 1 ? '' : 's'} omitted), see log: ${group.logFile}`);
    return [`::group::${escapeData(id)}`, ...group.output.lines(note), '::endgroup::'];
  }

  /** Groups of tasks that started but never ended (the run stopped early). */
  private flushAll(): string[] {
    const out = [...this.groups].flatMap(([id, group]) => this.group(id, group));
    this.groups.clear();
    return out;
  }

  private write(lines: readonly string[]): void {
    if (lines.length > 0) this.stream.write(`${lines.join('\n')}\n`);
  }
}
