import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Graph } from '../compile/graph.js';
import type { Value } from '../expression/ast.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { loadPipelines, MAX_FILE_BYTES } from '../parse/load.js';
import { fail, ok, type Result } from '../result.js';
import { validatePipelines } from '../validate/validate.js';
import type { Sources } from '../report/diagnostics.js';
import type { CliIo, UsageProblem } from './io.js';
import { repositoryRoot } from './repository.js';
import { DAILY } from '../schedule/cron.js';
import { logicalDate } from '../schedule/logical-date.js';

/** Where to look when no path is given. */
export const DEFAULT_PATHS = ['dagline.yml', 'dagline.yaml', 'pipeline.yml', 'pipeline.yaml', 'pipelines', '.github/pipelines'];

export interface Loaded {
  graphs: Graph[];
  diagnostics: Diagnostic[];
  sources: Sources;
}

export interface LoadRequest {
  paths: string[];
  date: string | undefined;
  params: Record<string, Value>;
}

/** parse → validate → compile for every pipeline named on the command line. */
export async function loadGraphs(request: LoadRequest, io: CliIo): Promise<Result<Loaded, UsageProblem>> {
  const paths = request.paths.length > 0 ? request.paths : DEFAULT_PATHS.filter((p) => existsSync(join(io.cwd, p)));
  if (paths.length === 0) {
    return fail({ code: 'DAG091', message: `no pipeline given and none found (looked for ${DEFAULT_PATHS.join(', ')}); pass a file or folder` });
  }
  if (request.date !== undefined) {
    const date = logicalDate(request.date, DAILY);
    if (!date.ok) return fail({ code: 'DAG093', message: `--date: ${date.error}` });
  }
  const loaded = await loadPipelines(paths, io.cwd);
  const missing = loaded.diagnostics.find((d) => d.code === 'DAG091');
  if (missing) return fail({ code: 'DAG091', message: missing.message });
  const declared = new Set(loaded.documents.flatMap((d) => Object.keys((d.value.params as object | undefined) ?? {})));
  const unknown = Object.keys(request.params).find((name) => !declared.has(name));
  if (unknown !== undefined) {
    return fail({ code: 'DAG092', message: `--param ${unknown}: no pipeline declares a param \`${unknown}\`` });
  }
  const validation = validatePipelines(loaded.documents, {
    date: request.date ?? new Date().toISOString().slice(0, 10),
    params: request.params,
    readFile: readIfExists,
  }, (doc) => repositoryRoot(dirname(doc.path)));
  return ok({
    graphs: validation.graphs,
    diagnostics: [...loaded.diagnostics, ...validation.diagnostics],
    sources: loaded.sources,
  });
}

/**
 * A matrix `from:` file: undefined when it does not exist (compile reports it with its location). Only a regular
 * file of bounded size is read: a FIFO or a link to /dev/zero would otherwise hang `validate` on a pull request.
 */
function readIfExists(path: string): string | undefined | { unreadable: string } {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return { unreadable: 'not a regular file' };
    size = stats.size;
  } catch {
    return undefined;
  }
  if (size > MAX_FILE_BYTES) return { unreadable: `${size} bytes; a matrix file is limited to ${MAX_FILE_BYTES} bytes` };
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    return { unreadable: e instanceof Error ? e.message : String(e) };
  }
}
