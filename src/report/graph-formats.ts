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

/** Mermaid node ids must be plain words; the task id goes in the label. */
function mermaid(graph: Graph): string {
  const key = new Map(graph.tasks.map((t, i) => [t.id, `t${i}`]));
  const lines = ['flowchart LR'];
  for (const t of graph.tasks) lines.push(`  ${key.get(t.id)}["${t.id.replaceAll('"', '#quot;')}"]`);
  for (const t of graph.tasks) for (const n of t.needs) lines.push(`  ${key.get(n)} --> ${key.get(t.id)}`);
  return `${lines.join('\n')}\n`;
}

function dot(graph: Graph): string {
  const q = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [`digraph ${q(graph.pipeline)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const t of graph.tasks) lines.push(`  ${q(t.id)};`);
  for (const t of graph.tasks) for (const n of t.needs) lines.push(`  ${q(n)} -> ${q(t.id)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
