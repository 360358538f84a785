// Bundles the GitHub Action into dist/ (committed: a JavaScript action runs from its repository as it is, with
// no install step). `node scripts/bundle.mjs --check` fails when dist/ differs from what the sources give.
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const outdir = check ? mkdtempSync(join(tmpdir(), 'dagline-dist-')) : join(root, 'dist');
// dist/ holds the bundle and nothing else: what an earlier bundle had and this one has not goes.
if (!check) rmSync(outdir, { recursive: true, force: true });

/**
 * src/schedule/luxon.ts loads luxon with createRequire so that it shares cron-parser's CommonJS copy; a bundler
 * cannot follow that call, so here it becomes a plain require of the same CommonJS build, which esbuild bundles
 * once for both.
 */
const oneLuxon = {
  name: 'one-luxon',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]schedule[\\/]luxon\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace('createRequire(import.meta.url)(\'luxon\')', "require('luxon')"),
      loader: 'ts',
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  outdir,
  legalComments: 'none',
  // Paths in the bundle stay as written (node_modules/…) even where node_modules is a link, so that a bundle made
  // in a second worktree sharing node_modules is byte for byte the one a clean checkout makes.
  preserveSymlinks: true,
  logLevel: 'warning',
  // CommonJS dependencies require Node's builtins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

await build({ ...common, entryPoints: { index: 'src/action/index.ts' }, outExtension: { '.js': '.mjs' }, plugins: [oneLuxon] });
// The task launcher is a Perl script (src/run/launcher.pl), read from next to the bundle.
copyFileSync(join(root, 'src/run/launcher.pl'), join(outdir, 'launcher.pl'));

if (check) {
  const made = readdirSync(outdir);
  const stale = made.filter((name) => {
    try {
      return !readFileSync(join(outdir, name)).equals(readFileSync(join(root, 'dist', name)));
    } catch {
      return true;
    }
  });
  stale.push(...readdirSync(join(root, 'dist')).filter((name) => !made.includes(name)));
  rmSync(outdir, { recursive: true, force: true });
  if (stale.length > 0) {
    console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run bundle\` and commit dist/`);
    process.exit(1);
  }
  console.log('dist/ is up to date');
}
