#!/usr/bin/env node
// bench/compile: `dagline validate` and `dagline plan` on a pipeline that expands to 10,000+ tasks
// (100 models × 100 regions, an evaluate per model, and fan-ins), against `node -e 0` in the same run.
// Targets (issue 2): under 1 s and under 300 MB peak each, on a 2-core machine.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureNode, table } from './measure.mjs';

const BIN = new URL('../bin/dagline.js', import.meta.url).pathname;
const MODELS = 100;
const REGIONS = 100;

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

const work = mkdtempSync(join(tmpdir(), 'dagline-bench-compile-'));
try {
  mkdirSync(join(work, '.git'));
  writeFileSync(join(work, 'pipeline.yml'), pipeline());
  const tasks = 1 + MODELS * REGIONS + MODELS + 2;
  const node = measureNode(['-e', '0'], { cwd: work });
  const rows = [['node -e 0', ['-e', '0']], ['dagline validate', [BIN, 'validate', 'pipeline.yml', '--date', '2024-03-01']], ['dagline plan', [BIN, 'plan', 'pipeline.yml', '--date', '2024-03-01', '--format', 'json']]].map(
    ([label, args]) => {
      const m = label === 'node -e 0' ? node : measureNode(args, { cwd: work });
      return {
        command: label,
        tasks: label === 'node -e 0' ? '-' : tasks,
        'wall ms (median of 5)': m.ms.toFixed(0),
        'vs node -e 0': (m.ms / node.ms).toFixed(1) + '×',
        'peak MiB': m.peakMiB.toFixed(0),
        target: label === 'node -e 0' ? '' : '< 1000 ms, < 300 MiB',
      };
    },
  );
  console.log(table(rows));
} finally {
  rmSync(work, { recursive: true, force: true });
}
