/** Everything the CLI touches of its process, so tests can run it in-process with their own streams. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const EXIT = {
  ok: 0,
  /** The pipeline is invalid (diagnostics were printed). */
  invalid: 1,
  /** The command line is wrong. */
  usage: 2,
  /** A bug in Dagline. */
  internal: 70,
} as const;

/** A wrong command line; the message says what to do instead. */
export interface UsageProblem {
  code: 'DAG090' | 'DAG091' | 'DAG092' | 'DAG093' | 'DAG094';
  message: string;
}
