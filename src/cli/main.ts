/**
 * Entry point of the `slipway` command. A command that has ended, by success or by a fatal
 * error, ends the process: nothing left open (a router, a socket, a timer) may keep it
 * alive. Only `slipway server` lives on after its action returns.
 */
import { buildProgram } from './program.js';
import { reportError } from './output.js';

const LONG_RUNNING = new Set(['server']);
let longRunning = false;

/** Exit codes: 0 passed, 1 failed, 2 usage, input or a fatal error, 3 a release that waits (docs/cli.md). */
const exit = (code: number) => {
  process.exitCode = code;
  // stdout and stderr are synchronous for files and pipes on Linux; a short grace covers a terminal.
  setTimeout(() => process.exit(code), 100).unref();
};

buildProgram()
  .hook('preAction', (_program, action) => {
    longRunning = LONG_RUNNING.has(action.name());
  })
  .parseAsync(process.argv)
  .then(
    () => {
      if (!longRunning) exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    },
    (e: unknown) => {
      reportError(e);
      exit(typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 2);
    },
  );
