import type { Graph } from '../compile/graph.js';
import { renderParts } from '../compile/graph.js';

export type GraphFormat = 'mermaid' | 'dot' | 'json';

export function formatGraph(graph: Graph, format: GraphFormat): string {
  switch (format) {
    case 'mermaid':
      return mermaid(graph);
    case 'dot':
      return dot(graph);
    case 'json':
      return `${JSON.stringify(graphJson(graph), null, 2)}\n`;
  }
}

export function graphJson(graph: Graph) {
  return {
    pipeline: graph.pipeline,
    file: graph.file,
    run: graph.run,
    params: graph.params,
    secrets: graph.secrets,
    tasks: graph.tasks.map((t) => ({
      id: t.id,
      name: t.name,
      matrix: t.matrix,
      needs: t.needs,
      ...(t.command.kind === 'run'
        ? { run: renderParts(t.command.script), shell: t.command.shell }
        : { args: t.command.args.map(renderParts) }),
      env: Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, renderParts(v)])),
      workingDirectory: t.workingDirectory,
      inputs: t.inputs,
      outputs: t.outputs,
      timeoutMs: t.timeoutMs,
      retries: t.retries,
      if: t.if,
      cache: t.cache,
    })),
  };
}

/** A task as a diagram shows it: plans, run records and graphs all have these. */
export interface DiagramTask {
  id: string;
  needs: readonly string[];
}

/** Node colours by status (plan actions and run statuses), GitHub's palette. */
const STATUS_STYLES: Readonly<Record<string, string>> = {
  succeeded: 'fill:#dafbe1,stroke:#1a7f37',
  cached: 'fill:#ddf4ff,stroke:#0969da',
  run: 'fill:#fff8c5,stroke:#9a6700',
  failed: 'fill:#ffebe9,stroke:#cf222e',
  upstream_failed: 'fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4',
  skipped: 'fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:4',
  skip: 'fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:4',
  cancelled: 'fill:#f6f8fa,stroke:#57606a',
};

/**
 * A Mermaid flowchart; with `statusOf`, nodes are coloured by status. Mermaid node ids must be plain words;
 * the task id goes in the label.
 */
export function formatMermaid(tasks: readonly DiagramTask[], statusOf?: (id: string) => string | undefined): string {
  const key = new Map(tasks.map((t, i) => [t.id, `t${i}`]));
  const lines = ['flowchart LR'];
  for (const t of tasks) lines.push(`  ${key.get(t.id)}["${t.id.replaceAll('"', '#quot;')}"]`);
  for (const t of tasks) for (const n of t.needs) if (key.has(n)) lines.push(`  ${key.get(n)} --> ${key.get(t.id)}`);
  if (statusOf !== undefined) {
    const used = new Set<string>();
    for (const t of tasks) {
      const status = statusOf(t.id);
      if (status === undefined || STATUS_STYLES[status] === undefined) continue;
      lines.push(`  class ${key.get(t.id)} ${status}`);
      used.add(status);
    }
    for (const status of used) lines.push(`  classDef ${status} ${STATUS_STYLES[status]}`);
  }
  return `${lines.join('\n')}\n`;
}

const mermaid = (graph: Graph): string => formatMermaid(graph.tasks);

function dot(graph: Graph): string {
  const q = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [`digraph ${q(graph.pipeline)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const t of graph.tasks) lines.push(`  ${q(t.id)};`);
  for (const t of graph.tasks) for (const n of t.needs) lines.push(`  ${q(n)} -> ${q(t.id)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
