#!/usr/bin/env node
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`dagline needs Node.js 22 or newer; this is ${process.version}. Inside this repository, \`npx dagline\` uses the Node 24 it installs.\n`);
  process.exit(2);
}

// Node keeps the compiled code of dagline and its dependencies on disk (in the temp folder) between runs: a third
// less start-up time for every command after the first. Never an error: without a writable cache it compiles.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();

const [{ main }, { processIo }] = await Promise.all([import('../build/cli/main.js'), import('../build/cli/io.js')]);
process.exitCode = await main(process.argv.slice(2), processIo());
