#!/usr/bin/env node
// bench/compile: `dagline validate` and `dagline plan` on a pipeline that expands to 10,000+ tasks
// (100 models × 100 regions, an evaluate per model, and fan-ins), against `node -e 0` in the same run.
// Targets (issue 2): under 1 s and under 300 MB peak each, on a 2-core machine.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, MB, measureNode, MiB, printWhenMain } from './measure.mjs';

const BIN = new URL('../bin/dagline.js', import.meta.url).pathname;
const MODELS = 100;
const REGIONS = 100;
const TASKS = 1 + MODELS * REGIONS + MODELS + 2;
const TARGET = '< 1000 ms, < 300 MB';

function pipeline() {
  const list = (prefix, n) => `[${Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`).join(', ')}]`;
  return `version: 1
name: bench-compile
schedule: { cron: "0 2 * * *" }
params:
  models: ${list('m', MODELS)}
  regions: ${list('r', REGIONS)}
defaults: { timeout: 10m, retries: { attempts: 2, delay: 5s } }
tasks:
  extract:
    run: echo extract \${{ run.ds }}
    outputs: [data/raw/\${{ run.ds }}.csv]
  train:
    needs: [extract]
    matrix: { model: \${{ params.models }}, region: \${{ params.regions }} }
    run: echo train \${{ matrix.model }} \${{ matrix.region }} \${{ run.ds }}
    outputs: [models/\${{ matrix.model }}-\${{ matrix.region }}.bin]
  evaluate:
    needs: [train]
    matrix: { model: \${{ params.models }} }
    run: echo evaluate \${{ matrix.model }}
  select:
    needs: [evaluate]
    run: echo select
  deploy:
    needs: [select]
    if: \${{ needs.select.outputs.auc >= 0.5 }}
    run: echo deploy \${{ needs.select.outputs.best }}
    cache: false
`;
}

/** Measures, and returns this bench's own table (`rows`) and its figures for the combined table (`figures`). */
export async function run() {
  const work = mkdtempSync(join(tmpdir(), 'dagline-bench-compile-'));
  try {
    mkdirSync(join(work, '.git'));
    writeFileSync(join(work, 'pipeline.yml'), pipeline());
    const node = measureNode(['-e', '0'], { cwd: work });
    const commands = [
      ['dagline validate', [BIN, 'validate', 'pipeline.yml', '--date', '2024-03-01']],
      ['dagline plan', [BIN, 'plan', 'pipeline.yml', '--date', '2024-03-01', '--format', 'json']],
    ].map(([label, args]) => ({ label, ...measureNode(args, { cwd: work }) }));
    const rows = [{ command: 'node -e 0', tasks: '-', ...columns(node, node), target: '' }, ...commands.map((m) => ({ command: m.label, tasks: TASKS, ...columns(m, node), target: TARGET }))];
    const figures = commands.map((m) =>
      figure('compile', `${m.label}, ${TASKS} tasks`, {
        measured: `${m.ms.toFixed(0)} ms`,
        baseline: `node -e 0: ${node.ms.toFixed(0)} ms`,
        ratio: `${(m.ms / node.ms).toFixed(1)}×`,
        peakMiB: m.peakMiB,
        target: TARGET,
        ok: m.ms < 1000 && m.peakMiB * MiB < 300 * MB,
      }),
    );
    return { title: `bench/compile: ${TASKS} tasks, wall ms median of 5`, rows, figures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const columns = (m, node) => ({ 'wall ms (median of 5)': m.ms.toFixed(0), 'vs node -e 0': (m.ms / node.ms).toFixed(1) + '×', 'peak MiB': m.peakMiB.toFixed(0) });

await printWhenMain(import.meta.url, run);
