/** Entry point of the `slipway` command. */
import { buildProgram } from './program.js';
import { reportError } from './output.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    reportError(e);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 2;
  });
