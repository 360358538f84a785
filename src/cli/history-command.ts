import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Graph } from '../compile/graph.js';
import { taskHistories, type TaskHistory } from '../history/stats.js';
import { historyDir, readHistory } from '../history/store.js';
import { colorsFor } from '../report/colors.js';
import { formatHistoryJson, formatHistoryText } from '../report/history-formats.js';
import { COMMON_OPTIONS, oneOf, positiveInteger } from './arguments.js';
import { loadPipeline, type Command } from './commands.js';
import { EXIT } from './io.js';

/** Runs listed per task unless `--last` says otherwise. */
const DEFAULT_LAST = 10;

/** `dagline history [TASK] [path]`: each task's recent runs (`.dagline/history`, src/history/store.ts). */
export const historyCommand: Command = {
  options: { ...COMMON_OPTIONS, last: { type: 'string' } },
  async run(args, io) {
    const format = oneOf(args.values.format, ['text', 'json'] as const, 'text', 'format');
    if (!format.ok) return format.error;
    const last = positiveInteger(args.values.last, DEFAULT_LAST, 'last');
    if (!last.ok) return last.error;
    const { task, paths } = taskAndPaths(args.paths, io.cwd);
    const one = await loadPipeline({ ...args, paths }, io);
    if (!one.ok) return one.error;
    const { graph } = one.value;
    const history = readHistory(historyDir(graph.root), graph.pipeline);
    if (!history.ok) return { code: 'DAG090', message: history.error };
    const tasks = inGraphOrder(taskHistories(history.value), graph).filter((t) => task === undefined || t.id === task || t.name === task);
    if (task !== undefined && tasks.length === 0 && !graph.tasks.some((t) => t.id === task || t.name === task)) {
      return { code: 'DAG090', message: `no task \`${task}\` in ${graph.pipeline} or its history (a matrix instance is named like \`train[model=a]\`)` };
    }
    io.stdout.write(format.value === 'json' ? formatHistoryJson(graph.pipeline, tasks, last.value) : formatHistoryText(graph.pipeline, tasks, last.value, colorsFor(io.stdout, io.env)));
    return EXIT.ok;
  },
};

/**
 * `[TASK] [paths…]`: with two or more arguments the first is the task; a single one is a path when it names a file
 * or folder, else the task.
 */
function taskAndPaths(positionals: readonly string[], cwd: string): { task: string | undefined; paths: string[] } {
  const [first, ...rest] = positionals;
  if (first === undefined) return { task: undefined, paths: [] };
  if (rest.length > 0) return { task: first, paths: rest };
  return existsSync(resolve(cwd, first)) ? { task: undefined, paths: [first] } : { task: first, paths: [] };
}

/** Tasks of the pipeline as it is now in its order, then tasks only the history still knows. */
function inGraphOrder(tasks: readonly TaskHistory[], graph: Graph): TaskHistory[] {
  const index = new Map(graph.tasks.map((t, i) => [t.id, i]));
  return [...tasks].sort((a, b) => (index.get(a.id) ?? index.size) - (index.get(b.id) ?? index.size));
}
