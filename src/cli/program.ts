/** The command tree. Each command lives in its own module. */
import { Command } from 'commander';
import { registerRun } from './run.js';

export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('Promote one immutable release through declared stages')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  registerRun(program);
  return program;
}
