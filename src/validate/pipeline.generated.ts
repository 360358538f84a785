/* eslint-disable */
/**
 * GENERATED FILE, DO NOT EDIT.
 * Generated from schema/pipeline.schema.json by scripts/gen-types.mjs; run `npm run gen` after changing
 * the schema (`node scripts/gen-types.mjs --check` fails when this file is stale).
 */

/**
 * A pipeline name: lower-case letters, digits, `_`, `.` and `-`, starting with a letter or a digit.
 */
export type PipelineName = string;
/**
 * A calendar date, `YYYY-MM-DD`.
 */
export type IsoDate = string;
/**
 * An environment variable name: starts with a letter or `_`, then letters, digits and `_`.
 */
export type EnvName = string;
/**
 * A duration: one or more `<integer><unit>` parts with unit `ms`, `s`, `m`, `h` or `d` (`90s`, `10m`, `2h`, `1h30m`, `500ms`), or a non-negative number of seconds.
 */
export type Duration = string | number;
/**
 * How a failed task is retried: a number of retries after the first try, or a mapping with `attempts`, `delay`, `backoff`, `max_delay`, `jitter` and `on`. Default: no retries.
 */
export type Retries =
  | number
  | {
      /**
       * Retries after the first try (integer ≥ 0); `0` never retries. Default `0`.
       */
      attempts?: number;
      delay?: Duration;
      /**
       * How the wait between retries grows: `fixed` waits `delay` every time; `exponential` grows the wait from `delay` on each retry, up to `max_delay`. Default `fixed`.
       */
      backoff?: "fixed" | "exponential";
      max_delay?: Duration;
      /**
       * `true`: randomise each wait a little, so retries of many tasks do not all start at once. Default `false`.
       */
      jitter?: boolean;
      /**
       * The failures that count as transient and are retried: exit codes (1–255) and/or `"timeout"`. Other failures are not retried. Default (or `[]`): every failure is retried.
       *
       * Items: An exit code from 1 to 255, or `"timeout"` for a task stopped by its `timeout`.
       */
      on?: (number | "timeout")[];
    };
/**
 * A task name: starts with a letter or `_`, then letters, digits, `_` and `-`.
 */
export type TaskName = string;
/**
 * An expression, written with or without `${{ }}` (`params.deploy` and `${{ params.deploy }}` mean the same), or a literal `true` / `false`. Grammar: literals (`null`, `true`, `false`, numbers, `'single-quoted strings'`), property access (`a.b`, `a['b']`, `a[0]`), `== != < <= > >=`, `&&`, `||`, `!`, parentheses and the functions `contains`, `startsWith`, `endsWith`, `format`, `join`, `toJSON`, `fromJSON`, and in `if:` `success()`, `failure()`, `always()`, `cancelled()`. Contexts: `params`, `matrix`, `run`, `env`, `needs`.
 */
export type Expression = string | boolean;

/**
 * One Dagline pipeline: its tasks, what each needs, matrices that expand a task into one task per combination, and an optional schedule. Every `*.yml` / `*.yaml` file below the folder given to `dagline validate` is one pipeline. Reference: docs/language.md.
 */
export interface PipelineDocument {
  /**
   * The JSON Schema this file follows, for editors that read a `$schema` key (e.g. `../schema/pipeline.schema.json`). Dagline ignores it. Alternatively put `# yaml-language-server: $schema=../schema/pipeline.schema.json` on the first line.
   */
  $schema?: string;
  /**
   * Format version of this file. Required; the only version is `1`.
   */
  version: 1;
  name?: PipelineName;
  /**
   * Free text describing the pipeline.
   */
  description?: string;
  schedule?: Schedule;
  /**
   * Values the pipeline reads as `${{ params.<name> }}`: name → any JSON value (string, number, boolean, list, mapping or null). Override one with `--param name=value`.
   */
  params?: {
    /**
     * A param value: any JSON value. Read it as `${{ params.<name> }}`; a string that is exactly one `${{ }}` keeps the value's type, so a list stays a list.
     */
    [k: string]: unknown;
  };
  env?: EnvMap;
  /**
   * Environment variables whose values are secret: names, never values. Tasks read them from the environment as usual (`$API_TOKEN`; in GitHub Actions, set them on the step: `env: { API_TOKEN: ${{ secrets.API_TOKEN }} }`), and Dagline replaces their values (4 characters or more) with `***` in everything it prints or records. Expressions cannot read them, and the pipeline's own `env` may not give them a literal value.
   */
  secrets?: EnvName[];
  alerts?: Alerts;
  /**
   * Who hears about a run when it ends: a webhook (JSON POST; Slack and Teams incoming webhooks show its `text`) and, in the GitHub Action, one issue per failing pipeline. Failing to deliver is a warning, never a failed run.
   */
  notify?: {
    /**
     * A JSON POST at the end of a run. Give the URL as `url`, or as `url_env`: the name of an environment variable holding it (list it in `secrets:` too; expressions cannot read secrets). The URL is never printed.
     */
    webhook?: (
      | {
          url: unknown;
        }
      | {
          url_env: unknown;
        }
    ) & {
      /**
       * The webhook's URL (http or https).
       */
      url?: string;
      url_env?: EnvName;
      /**
       * When to post: `failure` (the run failed or was cancelled), `alert` (an alert fired), `success` (the run succeeded). Default `[failure]`.
       *
       * Items: `failure`, `alert` or `success`.
       */
      on?: ("failure" | "alert" | "success")[];
    };
    /**
     * In the GitHub Action (needs `issues: write` for its token): open one issue when the pipeline fails, comment on it on each further failure, close it when the pipeline succeeds again.
     */
    github_issue?: boolean;
  };
  defaults?: Defaults;
  /**
   * The pipeline's tasks, by name. Required, at least one. A task name starts with a letter or `_` and holds letters, digits, `_` and `-`.
   */
  tasks: {
    [k: string]: Task;
  };
}
/**
 * When the pipeline runs: a five-field `cron` expression plus the range of logical dates it covers.
 */
export interface Schedule {
  /**
   * When the pipeline is due, as a five-field cron expression (minute hour day-of-month month day-of-week, cron-parser syntax); each due time is a logical date. Required.
   */
  cron: string;
  /**
   * The IANA time zone `cron` is read in, such as `Europe/Paris`. Default `UTC`.
   */
  timezone?: string;
  start?: IsoDate;
  end?: IsoDate;
  /**
   * On a scheduled run, `false` runs only the latest due logical date; `true` runs every missed one. Default `false`.
   */
  catchup?: boolean;
  /**
   * How many logical dates a backfill runs at once (integer ≥ 1). Default `1`.
   */
  max_active_runs?: number;
}
/**
 * Environment variables: name → string, number or boolean. A name starts with a letter or `_` and holds letters, digits and `_`. Values may use `${{ }}` expressions.
 */
export interface EnvMap {
  /**
   * The variable's value: a string (`${{ }}` expressions allowed), a number or a boolean; numbers and booleans are exported as their text.
   */
  [k: string]: string | number | boolean;
}
/**
 * Alert rules, evaluated after a run against the run history. Each fires a warning (terminal, `::warning` in GitHub Actions, the job summary, and `notify` with `on: [alert]`).
 */
export interface Alerts {
  /**
   * Alert when a task that succeeded took more than this factor of the median duration of its last successful runs (only once it has at least 3). Default `2`.
   */
  slower_than?: number;
  sla?: Duration;
  /**
   * Alert when the share of failed runs among the task's last `runs` runs (this one included) is above `max`.
   */
  failure_rate?: {
    /**
     * The highest acceptable share of failures, 0 to 1.
     */
    max: number;
    /**
     * How many of the last runs count. Default 10.
     */
    runs?: number;
  };
  /**
   * Bounds on numeric `key=value` outputs, by key: `min`, `max`, and `drop` (alert when the value fell by more than this fraction against the last run that had it).
   */
  outputs?: {
    /**
     * The bounds of one output: at least one of `min`, `max` and `drop`.
     */
    [k: string]: {
      /**
       * Alert when the value is below this.
       */
      min?: number;
      /**
       * Alert when the value is above this.
       */
      max?: number;
      /**
       * Alert when the value fell by more than this fraction (0 to 1) against the last earlier run that had it.
       */
      drop?: number;
    };
  };
}
/**
 * Settings applied to every task that does not set its own.
 */
export interface Defaults {
  timeout?: Duration;
  retries?: Retries;
  /**
   * Interpreter for `run` in every task that sets none (`bash`, `sh`, `python3`, …). Default `bash` (run as `bash -eo pipefail -c`).
   */
  shell?: string;
  /**
   * Folder every task runs in, relative to the pipeline file's folder; it may not leave the repository. Default: the pipeline file's folder.
   */
  "working-directory"?: string;
  env?: EnvMap;
  /**
   * `false`: every task that does not set `cache` has side effects and always runs. Default `true`.
   */
  cache?: boolean;
}
/**
 * A task: a command (`run` or `args`, exactly one), what it needs, and optionally a matrix, inputs and outputs for caching, a timeout, retries and a condition.
 */
export interface Task {
  /**
   * Free text describing the task.
   */
  description?: string;
  /**
   * A shell script, run with `bash -eo pipefail -c` (or with `shell`). Every `${{ }}` value is inserted shell-quoted, so it stays one argument. Exactly one of `run` / `args`.
   */
  run?: string;
  /**
   * A command and its arguments, run directly with no shell. Exactly one of `run` / `args`.
   *
   * @minItems 1
   *
   * Items: The command (first item) or one argument; `${{ }}` expressions allowed.
   */
  args?: [string, ...string[]];
  /**
   * The interpreter for `run` (`bash`, `sh`, `python3`, …). Default: `defaults.shell`, else `bash` (run as `bash -eo pipefail -c`).
   */
  shell?: string;
  /**
   * Folder the task runs in, relative to the pipeline file's folder; it may not leave the repository. Default: `defaults.working-directory`, else the pipeline file's folder.
   */
  "working-directory"?: string;
  env?: EnvMap;
  /**
   * What must succeed before this task starts: a task name or a list of task names. Between matrix tasks, an instance needs the instances that agree on every shared axis (`evaluate[model=x]` needs `train[model=x]`); with no shared axis it needs every instance (fan-in).
   */
  needs?: string | TaskName[];
  matrix?: Matrix;
  /**
   * Files whose content goes into the task's fingerprint: paths or globs, relative to the pipeline file's folder. The fingerprint also covers the expanded command and env and the fingerprints of the tasks it needs; a task whose fingerprint is already cached is fresh and does not run.
   *
   * Items: A path or glob, relative to the pipeline file's folder; it may not leave the repository. `${{ }}` expressions allowed.
   */
  inputs?: string[];
  /**
   * Files the task produces, relative to the pipeline file's folder. They are stored in the cache and restored when the task is fresh.
   *
   * Items: A path, relative to the pipeline file's folder; it may not leave the repository. `${{ }}` expressions allowed.
   */
  outputs?: string[];
  timeout?: Duration;
  retries?: Retries;
  if?: Expression;
  /**
   * `false`: the task has side effects and always runs (it is never skipped as fresh). Default: `defaults.cache`, else `true`.
   */
  cache?: boolean;
  /**
   * `key=value` outputs of this task (written to `$DAGLINE_OUTPUT`) whose numeric values go into `--metrics-file` and `--pushgateway` as `dagline_output{pipeline,task,key}`. A value that is not a number is left out with a warning.
   *
   * Items: An output key.
   */
  metrics?: string[];
  alerts?: Alerts;
}
/**
 * Runs one concrete task per combination of axis values: the cross product of the axes, minus `exclude`, plus `include`. Every other key is an axis: a list, an expression such as `${{ params.models }}`, or `{ from: file }`. Each instance's id is `name[axis=value,…]` with the axes sorted by name.
 */
export interface Matrix {
  /**
   * Combinations added after the cross product and `exclude`, as in GitHub workflows: each entry is a mapping of axis → value.
   *
   * Items: One combination to add: axis → value.
   */
  include?: {
    [k: string]: unknown;
  }[];
  /**
   * Combinations removed from the cross product: an entry matches a combination when every key it names matches.
   *
   * Items: A combination to remove: axis → value; axes it does not name match anything.
   */
  exclude?: {
    [k: string]: unknown;
  }[];
  /**
   * A matrix axis: a list of values (`[eu, us]`), an expression that gives a list (`${{ params.models }}`), or `{ from: file }` naming a JSON or YAML file that holds a list.
   */
  [k: string]:
    | unknown[]
    | string
    | {
        /**
         * A JSON or YAML file holding a list of values, relative to the pipeline file's folder; it may not leave the repository.
         */
        from: string;
      }
    | {
        [k: string]: unknown;
      }[]
    | undefined;
}
