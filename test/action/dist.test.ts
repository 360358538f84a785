import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

// The action runs dist/ as committed (a JavaScript action has no install step): it must be what the sources give.
it('dist/ is the bundle of the current sources (npm run bundle, then commit dist/)', () => {
  const check = spawnSync(process.execPath, [join(REPO, 'scripts/bundle.mjs'), '--check'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
}, 60_000);
