#!/usr/bin/env node
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`dagline needs Node.js 22 or newer; this is ${process.version}. Inside this repository, \`npx dagline\` uses the Node 24 it installs.\n`);
  process.exit(2);
}

const { main } = await import('../build/cli/main.js');
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onSignal(handler) {
    const listener = (signal) => handler(signal);
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
});
