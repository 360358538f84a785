/** The action's entry point (bundled into dist/index.mjs): all the logic is in run-action.ts. */
import { processIo } from '../cli/io.js';
import { runAction } from './run-action.js';

process.exitCode = await runAction(processIo());
