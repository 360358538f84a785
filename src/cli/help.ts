import { KEEP_RUNS } from '../history/store.js';

export const HELP: Readonly<Record<string, string>> = {
  main: `dagline — ML and data pipelines as YAML in your repository

Usage: dagline <command> [options] [paths…]

Commands:
  validate   check pipelines against the schema and the rules; nothing is run
  graph      print the compiled task graph (mermaid, dot or json)
  plan       show what a run would do, layer by layer, and why
  run        run a pipeline's tasks for a logical date
  runs       list recorded runs
  cache      list, measure and prune the local cache
  schedule   which logical dates are due, and when the next one is
  backfill   run a pipeline once per logical date of a range
  history    each task's recent runs: status, duration, median, failure rate
  help       show help for a command

Paths are pipeline files or folders (every *.yml / *.yaml below them).
Without paths: dagline.yml, pipeline.yml, pipelines/ or .github/pipelines/.

Exit codes: 0 ok, 1 invalid pipeline, 2 bad usage, 3 a task failed, 130/143 cancelled
(SIGINT/SIGTERM), 70 internal error.
Run \`dagline <command> --help\` for a command's options.
`,
  validate: `Usage: dagline validate [paths…] [--format text|json] [--date D] [--param k=v…]

Checks every pipeline: YAML, the JSON Schema, needs, cycles, matrices, expressions, cron, paths.
Runs nothing from the pipeline, so it is safe on untrusted pull requests.

Options:
  --format text|json   diagnostics as text (default) or JSON on stdout
  --date D             logical date for the trial compile (default: today, UTC)
  -p, --param k=v      override a param (the value is read as YAML); repeatable

In GitHub Actions (GITHUB_ACTIONS=true) every problem is also an ::error annotation.
`,
  graph: `Usage: dagline graph [path] [--format mermaid|dot|json] [--date D] [--param k=v…] [--pipeline NAME]

Prints the compiled graph of one pipeline: concrete tasks (matrices expanded) and their needs.

Options:
  --format mermaid|dot|json   output format (default: mermaid)
  --date D                    logical date (YYYY-MM-DD or ISO timestamp; default: today, UTC)
  -p, --param k=v             override a param; repeatable
  --pipeline NAME             choose one pipeline when the paths hold several
`,
  plan: `Usage: dagline plan [paths…] [--format text|json] [--date D] [--param k=v…] [--pipeline NAME] [-j N]

Shows, layer by layer, which tasks a run would start and why: cached (its outputs will be restored), will run
(with what changed since its last cache entry: "input data/raw.csv changed", "command changed", …) or skipped.
Reads the cache and hashes declared inputs; runs nothing. With a history (.dagline/history, see
\`dagline history\`), each task that will run shows its expected time (the median of its recent successful
runs that were not cached; \`?\`: none on record, counted as 0), the critical path is the longest by that
time, and the expected wall time is the run simulated at -j tasks at once.

Options:
  --format text|json   output format (default: text)
  --date D             logical date (default: today, UTC)
  -p, --param k=v      override a param; repeatable
  --pipeline NAME      plan only this pipeline
  -j, --concurrency N  tasks at once for the expected wall time (default: the number of cores)
  --explain TASK       print the parts of one task's fingerprint and what changed since its last entry
  --matrix N           print only JSON for a GitHub matrix: the tasks that will run, split into at most N
                       (≤ 256) shards that need nothing from each other, e.g.
                       {"include":[{"shard":"1/3","tasks":12},…]}; {"include":[]}: no task needs a shard
  --cache local|github|off, --no-cache, --force TASK, --cache-dir DIR   as for run
`,
  run: `Usage: dagline run [path] [options]

Runs the pipeline's tasks for one logical date: each starts once everything it needs has succeeded, at most
--concurrency at a time, the longest remaining chain first.

Options:
  --date D               logical date (default: today, UTC)
  -p, --param k=v        override a param; repeatable
  -j, --concurrency N    tasks at once (default: the number of cores)
  --only TASK            run only this task (a name: every instance; or one id); repeatable
  --from TASK            run this task and everything downstream of it; repeatable
  -k, --keep-going       after a failure, go on with the branches that do not depend on it
  --timeout DURATION     end the whole run after this long (e.g. 2h)
  --resume RUN_ID|last   run again only what failed or never ran in that run, reusing its outputs
  --shard K/N            run only shard K of \`plan --matrix\` (split again from the cache), restoring its
                         needs; a final \`dagline run\` (the join) runs whatever no shard ran
  --metrics-file PATH    write the run's figures in the Prometheus text format (atomically; for
                         node-exporter's textfile collector, name it *.prom)
  --pushgateway URL      PUT the same figures to URL/metrics/job/dagline/pipeline/<name>; a failed
                         push is a warning
  -n, --dry-run          print what would run, in order; run nothing
  --pipeline NAME        choose one pipeline when the paths hold several
  --cache local|github|off   where cache entries live (default: github inside GitHub Actions when its
                         cache service is available, else local: .dagline/cache)
  --no-cache             neither restore nor save: every task runs
  --force TASK           run this task (a name: every instance; or one id) even when cached, and save it
                         again; repeatable
  --cache-dir DIR        the local cache folder (default: $DAGLINE_CACHE_DIR, else .dagline/cache); several
                         checkouts may share one

A task whose fingerprint (command, env, inputs, upstream) has a cache entry is restored, not run.
The record of each run is kept in .dagline/runs/<run-id>/ (record.json, logs/), and its tasks' outcomes in
.dagline/history (see \`dagline history\`).
Exit codes: 0 all succeeded, 3 a task failed or the run timed out, 130 SIGINT, 143 SIGTERM.
`,
  runs: `Usage: dagline runs [--format text|json]

Lists recorded runs (newest first) with their status and task counts.
`,
  cache: `Usage: dagline cache ls|du|prune [--format text|json] [--older-than 30d] [--max-size 5GB] [--cache-dir DIR]

  ls      every entry of the local cache (.dagline/cache), least recently used first
  du      entries, blobs and bytes on disk (content shared by entries counted once)
  prune   remove entries unused for --older-than, then the least recently used until the cache fits in
          --max-size, then blobs no entry uses and leftovers of killed runs
`,
  schedule: `Usage: dagline schedule next|due [path] [--now T] [--since D] [--format text|json] [--pipeline NAME]

A logical date D is the start of its data interval [D, next cron tick); its run is due once the interval has
ended. A pipeline without \`schedule:\` is daily at 00:00 UTC.

  due    the logical dates due now: with \`catchup: true\` every one after the last successful date (from
         \`start\` when none has succeeded yet), else only the latest; never outside \`start\`…\`end\`
  next   the next logical date to become due, and when

Options:
  --now T              the clock, as an ISO timestamp (default: $DAGLINE_NOW, else the real time)
  --since D            due: list what is due after D instead of after the last successful date, which is
                       kept per pipeline in .dagline/schedule/<pipeline>.json (written by backfill)
  --format text|json   output format (default: text)
  --pipeline NAME      only this pipeline (default: every pipeline under the paths)
`,
  history: `Usage: dagline history [TASK] [path] [--last N] [--format text|json] [--pipeline NAME]

Each task's recent runs, newest first: logical date, status (cached: restored, not run), duration, attempts,
run id; and over every run kept, the median duration of its successful runs that were not cached (what
\`dagline plan\` expects it to take) and its failure rate (failed of the runs that succeeded or failed).
Every \`dagline run\` and every date of \`dagline backfill\` adds to it; the last ${KEEP_RUNS} runs of each task
are kept, in .dagline/history/<pipeline>/.

  TASK                 a task name (every instance) or one id such as train[model=a]; a single argument
                       that names a file or folder is the path instead
Options:
  --last N             runs listed per task (default: 10)
  --format text|json   output format (default: text)
  --pipeline NAME      choose one pipeline when the paths hold several
`,
  backfill: `Usage: dagline backfill [path] --from D --to D [options]

Runs the pipeline once per logical date (cron tick) from --from to --to, both inclusive: each date is an
independent run with its own record, as \`dagline run --date D\`, and cached tasks are restored, so running a
backfill again only runs what is missing. Ends with a table of the dates.

Options:
  --from D, --to D         days (read in the schedule's timezone, whole days) or ISO timestamps
  --max-active-runs N      dates at once (default: the schedule's max_active_runs, else 1)
  -j, --concurrency N      task slots in all, shared equally by the dates running at once, at least one each
                           (default: the number of cores)
  -k, --keep-going         in each date, go on with the branches a failure does not block
  -n, --dry-run            list the dates; run nothing
  -p, --param k=v          override a param; repeatable
  --pipeline NAME          choose one pipeline when the paths hold several
  --cache local|github|off, --no-cache, --force TASK, --cache-dir DIR   as for run

A date that succeeds is recorded as the schedule's last successful date (it never moves backwards).
Exit codes: 0 every date succeeded, 3 a date failed, 1 the pipeline is invalid, 130 SIGINT, 143 SIGTERM.
`,
};
