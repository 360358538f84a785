import { parseArguments } from './arguments.js';
import { graphCommand, planCommand, validateCommand, type Command } from './commands.js';
import { cacheCommand } from './cache-command.js';
import { runCommand, runsCommand } from './run-command.js';
import { scheduleCommand } from './schedule-command.js';
import { backfillCommand } from './backfill-command.js';
import { historyCommand } from './history-command.js';
import { HELP } from './help.js';
import { EXIT, type CliIo, type UsageProblem } from './io.js';

const COMMANDS: Readonly<Record<string, Command>> = {
  validate: validateCommand,
  graph: graphCommand,
  plan: planCommand,
  run: runCommand,
  runs: runsCommand,
  cache: cacheCommand,
  schedule: scheduleCommand,
  backfill: backfillCommand,
  history: historyCommand,
};

/** The CLI: returns the exit code and never exits the process itself. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const outcome = await dispatch(argv, io);
    if (typeof outcome === 'number') return outcome;
    io.stderr.write(`dagline: error ${outcome.code}: ${outcome.message}\nRun \`dagline --help\` for usage.\n`);
    return EXIT.usage;
  } catch (e) {
    const detail = io.env.DAGLINE_DEBUG ? `\n${e instanceof Error ? e.stack : String(e)}` : ' (set DAGLINE_DEBUG=1 for details)';
    io.stderr.write(`dagline: internal error: ${e instanceof Error ? e.message : String(e)}${detail}\nThis is a bug in Dagline; please report it.\n`);
    return EXIT.internal;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number | UsageProblem> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return help('main', io);
  if (name === 'help') return help(rest[0] ?? 'main', io);
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${await version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) return { code: 'DAG090', message: `unknown command \`${name}\` (commands: ${Object.keys(COMMANDS).join(', ')})` };
  const args = parseArguments(rest, command.options);
  if (!args.ok) return args.error;
  if (args.value.values.help === true) return help(name, io);
  return command.run(args.value, io);
}

function help(topic: string, io: CliIo): number | UsageProblem {
  const text = HELP[topic];
  if (text === undefined) return { code: 'DAG090', message: `no help for \`${topic}\`` };
  io.stdout.write(text);
  return EXIT.ok;
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
