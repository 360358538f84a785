/** Everything the CLI touches of its process, so tests can run it in-process with their own streams. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe. Absent when the caller handles signals itself. */
  onSignal?: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}

export const EXIT = {
  ok: 0,
  /** The pipeline is invalid (diagnostics were printed). */
  invalid: 1,
  /** The command line is wrong. */
  usage: 2,
  /** A task failed (or the run timed out). */
  taskFailed: 3,
  /** Cancelled by SIGINT (128 + 2) or SIGTERM (128 + 15), as shells report it. */
  SIGINT: 130,
  SIGTERM: 143,
  /** A bug in Dagline. */
  internal: 70,
} as const;

/** A wrong command line; the message says what to do instead. */
export interface UsageProblem {
  code: 'DAG090' | 'DAG091' | 'DAG092' | 'DAG093' | 'DAG094';
  message: string;
}

/** This process's streams, environment, folder and signals: what the entry points (bin/, the action) hand over. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    onSignal(handler) {
      const listener = (signal: 'SIGINT' | 'SIGTERM') => handler(signal);
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}
