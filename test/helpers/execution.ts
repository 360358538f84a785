import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Graph } from '../../src/compile/graph.js';
import type { Reporter, RunEvent, RunStatus } from '../../src/run/events.js';
import { executeGraph, type ExecuteOptions } from '../../src/run/execute.js';
import { parseText } from '../../src/parse/parse-text.js';
import { validatePipeline } from '../../src/validate/validate.js';
import { readFileSync } from 'node:fs';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

export function tempRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'dagline-run-'));
  made.push(root);
  mkdirSync(join(root, '.git'));
  return root;
}

/** Compiles pipeline text as `<root>/pipeline.yml`. */
export function graphFor(root: string, text: string, date = '2024-03-01'): Graph {
  const parsed = parseText('pipeline.yml', join(root, 'pipeline.yml'), text);
  if (!parsed.ok) throw new Error(parsed.error.map((d) => d.message).join('\n'));
  const graph = validatePipeline(parsed.value, { date, root, readFile: (p) => readFileSync(p, 'utf8') });
  if (!graph.ok) throw new Error(graph.error.map((d) => `${d.code} ${d.message}`).join('\n'));
  return graph.value;
}

export class Recorder implements Reporter {
  readonly events: RunEvent[] = [];
  onEvent(event: RunEvent): void {
    this.events.push(event);
  }
  ends() {
    return Object.fromEntries(this.events.flatMap((e) => (e.type === 'task-end' ? [[e.id, e]] : [])));
  }
  statuses(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.ends()).map(([id, e]) => [id, e.status]));
  }
}

export async function run(root: string, graph: Graph, options: Partial<ExecuteOptions> = {}): Promise<{ status: RunStatus; recorder: Recorder }> {
  const recorder = new Recorder();
  const status = await executeGraph(
    graph,
    { runId: 'test', root, runDir: join(root, '.dagline', 'runs', 'test'), concurrency: 2, keepGoing: false, env: { PATH: process.env.PATH }, streamOutput: false, killGraceMs: 500, ...options },
    recorder,
  );
  return { status, recorder };
}
