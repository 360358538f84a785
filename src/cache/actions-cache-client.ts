/** The @actions/cache client, loaded lazily, with its failures turned into values. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fail, ok, type Result } from '../result.js';
import { errorMessage } from './fs-util.js';

type ActionsCache = typeof import('@actions/cache');
let library: Promise<ActionsCache> | undefined;

/** Loaded on first use: it pulls in the Azure SDK (~0.2 s), which runs without the GitHub cache never need. */
const actionsCache = (): Promise<ActionsCache> => (library ??= import('@actions/cache'));

/** What @actions/cache said during one call. */
interface Transcript {
  /** `::warning::` and `::error::` messages: it reports every failure this way. */
  problems: string[];
}

const transcripts = new AsyncLocalStorage<Transcript>();

/**
 * Runs one @actions/cache call (the package is loaded on first use) and fails with what it reported. The
 * package never throws for a service or network failure: it logs a `::warning::` (or `::error::`) workflow command on stdout and returns "not found"
 * (or -1), exactly what it returns for a miss. So its output during our calls is routed to the call's
 * transcript instead of the log (AsyncLocalStorage follows the call through every callback, concurrent calls
 * included); output outside our calls passes through untouched.
 */
export async function callActionsCache<T>(call: (cache: ActionsCache) => Promise<T>): Promise<Result<T, string>> {
  interceptOutput();
  const transcript: Transcript = { problems: [] };
  try {
    const value = await transcripts.run(transcript, async () => call(await actionsCache()));
    return transcript.problems.length === 0 ? ok(value) : fail(transcript.problems.join('; '));
  } catch (e) {
    return fail(errorMessage(e));
  }
}

let intercepting = false;

function interceptOutput(): void {
  if (intercepting) return;
  intercepting = true;
  const stdout = process.stdout.write.bind(process.stdout);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const transcript = transcripts.getStore();
      if (transcript === undefined) return write(chunk, ...rest);
      for (const line of String(chunk).split(/\r?\n/)) {
        const kept = route(line, transcript);
        if (kept !== undefined) stdout(`${kept}\n`);
      }
      const done = rest.find((arg): arg is () => void => typeof arg === 'function');
      done?.();
      return true;
    }) as typeof stream.write;
  }
}

/**
 * Keeps a line of the package's output in the transcript, or returns it for the real stdout: masks of signed
 * URLs must reach the runner, and debug lines are shown when step debugging is on. Progress lines, the tar
 * command line and its output are dropped: the store reports what matters through `warn`.
 */
function route(line: string, transcript: Transcript): string | undefined {
  const command = /^::(\w[\w-]*)(?: [^:]*)?::(.*)$/.exec(line);
  const [name, message] = [command?.[1], command?.[2] ?? ''];
  if (name === 'warning' || name === 'error') transcript.problems.push(decodeCommandData(message));
  if (name === 'add-mask' || (name === 'debug' && process.env.RUNNER_DEBUG === '1')) return line;
  return undefined;
}

/** Workflow command data escapes `%`, CR and LF. */
function decodeCommandData(text: string): string {
  return text.replaceAll('%0D', '').replaceAll('%0A', ' ').replaceAll('%25', '%');
}
