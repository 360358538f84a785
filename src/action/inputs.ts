import { fail, ok, type Result } from '../result.js';

/** The action's input names, as in action.yml. */
export const INPUT = {
  pipeline: 'pipeline',
  command: 'command',
  date: 'date',
  from: 'from',
  to: 'to',
  maxActiveRuns: 'max-active-runs',
  concurrency: 'concurrency',
  params: 'params',
  cache: 'cache',
  shard: 'shard',
  matrix: 'matrix',
  githubToken: 'github-token',
} as const;

/** The action's output names, as in action.yml. */
export const OUTPUT = {
  plan: 'plan',
  matrix: 'matrix',
  status: 'status',
  failedTasks: 'failed-tasks',
} as const;

export const COMMANDS = ['auto', 'validate', 'plan', 'run', 'backfill'] as const;
export type CommandInput = (typeof COMMANDS)[number];

export interface ActionInputs {
  /** A file, folder or glob; absent: where `dagline` looks by default. */
  pipeline?: string;
  command: CommandInput;
  date?: string;
  from?: string;
  to?: string;
  maxActiveRuns?: string;
  concurrency?: string;
  /** `key=value` lines, as `--param` takes them. */
  params: string[];
  cache?: string;
  shard?: string;
  /** With `command: plan`: split the tasks to run into at most this many jobs (the `matrix` output). */
  matrix?: string;
  githubToken?: string;
}

/** Reads the inputs through `get` (core.getInput: trimmed, '' when not given); '' means "not given". */
export function readInputs(get: (name: string) => string): Result<ActionInputs, string> {
  const command = get(INPUT.command) || 'auto';
  if (!(COMMANDS as readonly string[]).includes(command)) return fail(`input \`command\` must be one of ${COMMANDS.join(', ')}, not \`${command}\``);
  const optional = (name: string): string | undefined => get(name) || undefined;
  return ok({
    pipeline: optional(INPUT.pipeline),
    command: command as CommandInput,
    date: optional(INPUT.date),
    from: optional(INPUT.from),
    to: optional(INPUT.to),
    maxActiveRuns: optional(INPUT.maxActiveRuns),
    concurrency: optional(INPUT.concurrency),
    params: get(INPUT.params)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
    cache: optional(INPUT.cache),
    shard: optional(INPUT.shard),
    matrix: optional(INPUT.matrix),
    githubToken: optional(INPUT.githubToken),
  });
}
