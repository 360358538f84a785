/** What happened to a task in the end. `cached` arrives with the artifact cache. */
export type TaskStatus = 'succeeded' | 'failed' | 'skipped' | 'upstream_failed' | 'cancelled' | 'cached';

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * The one stream of events a run produces. Reporters (terminal, GitHub groups, the run record) observe it;
 * none of them can change what the run does.
 */
export type RunEvent =
  | { type: 'run-start'; runId: string; pipeline: string; ds: string; tasks: string[]; concurrency: number; logDir: string }
  | { type: 'task-start'; id: string; attempt: number; command: string; logFile: string; at: number }
  /** What the task wrote to stdout and stderr, interleaved as it reached its log file. */
  | { type: 'task-output'; id: string; text: string }
  | { type: 'task-retry'; id: string; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  /** Something went wrong that does not change the run's result (a cache that could not be read or written). */
  | { type: 'warning'; id?: string; message: string }
  | {
      type: 'task-end';
      id: string;
      status: TaskStatus;
      attempts: number;
      exitCode: number | null;
      durationMs: number;
      /** Why it failed or was skipped, in words. */
      reason?: string;
      outputs: Record<string, string>;
      /** A secret's value was hidden in `outputs` (src/run/redact.ts): they are not what the tasks that need it got. */
      outputsRedacted?: true;
      at: number;
    }
  | { type: 'run-end'; status: RunStatus; durationMs: number; counts: Partial<Record<TaskStatus, number>> };

export interface Reporter {
  onEvent(event: RunEvent): void;
  /** Flushes whatever the reporter buffers; called once after run-end. */
  close?(): Promise<void> | void;
}

/** Fans one event stream out to several reporters (nx's composite reporter). */
export class CompositeReporter implements Reporter {
  constructor(private readonly reporters: readonly Reporter[]) {}

  onEvent(event: RunEvent): void {
    for (const reporter of this.reporters) reporter.onEvent(event);
  }

  async close(): Promise<void> {
    for (const reporter of this.reporters) await reporter.close?.();
  }
}
