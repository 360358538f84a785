import type { ActionInputs } from './inputs.js';

/**
 * What the action does:
 * - `review`: validate and plan against the base branch, run nothing (pull requests are untrusted);
 * - `validate`, `plan`: as the CLI commands;
 * - `run`: one run (of one shard with `shard`);
 * - `scheduled`: every logical date due by the pipeline's schedule (catch-up as configured);
 * - `backfill`: every logical date between `from` and `to`.
 */
export type Mode = 'review' | 'validate' | 'plan' | 'run' | 'scheduled' | 'backfill';

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'merge_group']);

/** `command: auto` picks from the event; an explicit command wins, except that pull requests never run. */
export function chooseMode(eventName: string, inputs: Pick<ActionInputs, 'command' | 'from' | 'to'>): Mode {
  const untrusted = PULL_REQUEST_EVENTS.has(eventName);
  switch (inputs.command) {
    case 'validate':
      return 'validate';
    case 'plan':
      return untrusted ? 'review' : 'plan';
    case 'run':
    case 'backfill':
      return untrusted ? 'review' : inputs.command;
    case 'auto':
      if (untrusted) return 'review';
      if (eventName === 'schedule') return 'scheduled';
      if (eventName === 'workflow_dispatch' && (inputs.from !== undefined || inputs.to !== undefined)) return 'backfill';
      return 'run';
  }
}
