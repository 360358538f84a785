import { CompositeReporter, type Reporter } from '../run/events.js';
import { colorsFor } from './colors.js';
import { GitHubReporter } from './run-github.js';
import { LiveReporter } from './run-live.js';
import { PlainReporter } from './run-plain.js';
import type { Env, ReportStream } from './run-summary.js';

export interface ChooseReportersOptions {
  stdout: ReportStream;
  env: Env;
  /** More reporters to feed the same events (e.g. the run record); they run after the terminal one. */
  extra?: readonly Reporter[];
}

const isSet = (value: string | undefined): boolean =>
  value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/**
 * The one reporter for the terminal: GitHub groups on GitHub Actions; the live block on an interactive terminal
 * (a TTY, not CI, not `TERM=dumb`); plain lines everywhere else.
 */
export function chooseReporter({ stdout, env }: Pick<ChooseReportersOptions, 'stdout' | 'env'>): GitHubReporter | LiveReporter | PlainReporter {
  const colors = colorsFor(stdout, env);
  if (env.GITHUB_ACTIONS === 'true') return new GitHubReporter(stdout, { colors });
  if (stdout.isTTY === true && !isSet(env.CI) && env.TERM !== 'dumb') return new LiveReporter(stdout, { colors });
  return new PlainReporter(stdout, { colors });
}

/** Every reporter of a run, behind one `Reporter`; call its close() once after run-end. */
export function chooseReporters(options: ChooseReportersOptions): Reporter {
  return new CompositeReporter([chooseReporter(options), ...(options.extra ?? [])]);
}
