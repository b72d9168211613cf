/** The command tree. Each command lives in its own module. */
import { Command } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerControl } from './commands/control.js';
import { registerEvents } from './commands/events.js';
import { registerFreeze } from './commands/freeze.js';
import { registerFlags } from './commands/flags.js';
import { registerHooks } from './commands/hooks.js';
import { registerRelease } from './commands/release.js';
import { registerImport } from './commands/import.js';
import { registerInsights } from './commands/insights.js';
import { registerMigrate } from './commands/migrate.js';
import { registerLoadtest } from './commands/loadtest.js';
import { registerNotifications } from './commands/notifications.js';
import { registerPr } from './commands/pr.js';
import { registerRuns } from './commands/runs.js';
import { registerSecret } from './commands/secret.js';
import { registerSlo } from './commands/slo.js';
import { registerSoak } from './commands/soak.js';
import { registerStatus } from './commands/status.js';
import { registerResumeAuto } from './commands/resume-auto.js';
import { registerReplicas } from './commands/replicas.js';
import { registerToken } from './commands/token.js';
import { registerSubscription } from './commands/subscription.js';
import { registerTrigger } from './commands/trigger.js';
import { registerWatch } from './commands/watch.js';
import { registerRun } from './run.js';
import { registerServer } from './server.js';

export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('Promote one immutable release through declared stages')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // A usage error exits 2 (1 means a release failed); commands added below inherit this.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .option('--server <url>', 'Slipway server (default: $SLIPWAY_SERVER, the config file, or http://127.0.0.1:7300)');
  registerRun(program);
  registerServer(program);
  registerTrigger(program);
  registerStatus(program);
  registerRuns(program);
  registerWatch(program);
  registerControl(program);
  registerResumeAuto(program);
  registerEvents(program);
  registerFreeze(program);
  registerToken(program);
  registerSubscription(program);
  registerSecret(program);
  registerSlo(program);
  registerSoak(program);
  registerImport(program);
  registerHooks(program);
  registerRelease(program);
  registerLoadtest(program);
  registerAudit(program);
  registerInsights(program);
  registerNotifications(program);
  registerPr(program);
  registerMigrate(program);
  registerBackup(program);
  registerFlags(program);
  registerReplicas(program);
  return program;
}
