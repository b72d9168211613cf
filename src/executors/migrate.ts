/**
 * `migrate`: one phase (expand or contract) of a release's database change for one service,
 * run once per stage. The ledger in the target database (migrate-ledger.ts) decides: an id
 * found there is reported as already applied and nothing runs. A `.sql` file runs with its
 * ledger row in one transaction. A command runs as a shell task does (at most once per task
 * id, adopted after a restart), with `DATABASE_URL`, `MIGRATION_ID` and `MIGRATION_PHASE` set;
 * its ledger row is written when it exits 0 (a crash between the two: the next dispatch reads
 * the recorded exit status, does not run it again, and writes the row).
 *
 * The outcome's `migration` ({phase, service, id, applied, schemaVersion, source}) is what
 * the core records as `schema.changed`, and what arms the automatic contract.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NonRetryableTaskError, type Executor, type ExecutorContext, type TaskOutcome } from '../engine/executor.js';
import { isPostgresUrl, openLedger } from './migrate-ledger.js';
import { describeSource, migrateProblems, migrationId, serviceOf, sourceOf, type MigrationSource, type Phase } from './migrate-source.js';
import { assertValid, isStringMap } from './properties.js';
import { createShellExecutor, type ShellExecutorOptions } from './shell.js';

/** A SQLite path is relative to the pipeline file, like every path in properties. */
function databaseOf(ctx: ExecutorContext): string {
  const db = ctx.task.properties.database as string;
  return isPostgresUrl(db) ? db : resolve(ctx.run.projectDir, db);
}

export function createMigrateExecutor(options: ShellExecutorOptions = {}): Executor {
  const shell = createShellExecutor(options);

  async function runCommand(ctx: ExecutorContext, source: Extract<MigrationSource, { kind: 'command' }>, id: string, phase: Phase): Promise<TaskOutcome> {
    const props = ctx.task.properties;
    const env = { ...(isStringMap(props.env) ? props.env : {}), DATABASE_URL: databaseOf(ctx), MIGRATION_ID: id, MIGRATION_PHASE: phase };
    // The same context with the task seen as a shell task (a prototype, not a copy: contexts may be class instances with getters).
    const inner = Object.create(ctx) as ExecutorContext;
    Object.defineProperty(inner, 'task', { value: { ...ctx.task, kind: 'shell', properties: { run: source.run, cwd: source.cwd, env } } });
    return shell.execute(inner);
  }

  async function execute(ctx: ExecutorContext): Promise<TaskOutcome> {
    const props = ctx.task.properties;
    assertValid('migrate', ctx.task.name, migrateProblems(props));
    const service = serviceOf(props, Object.keys(ctx.run.artifacts).sort());
    if (typeof service !== 'string') assertValid('migrate', ctx.task.name, [service]);
    const svc = service as string;
    const phase = props.phase as Phase;
    const id = migrationId(ctx.run.project, ctx.run.stage, svc, ctx.run.releaseId, phase);
    const source = await sourceOf(props, phase, ctx.run.projectDir, ctx.run.artifacts[svc]);
    const report = (applied: boolean, schemaVersion?: number) => ({
      migration: { phase, service: svc, id, applied, source: source.kind, ...(schemaVersion !== undefined ? { schemaVersion } : {}) },
      source: describeSource(source),
    });
    if (source.kind === 'none') return { result: 'pass', message: `${phase} of ${svc}: the release carries no migration for this phase`, output: report(false) };
    const ledger = await openLedger(databaseOf(ctx)).catch((e: unknown) => {
      throw new Error(`migrate task '${ctx.task.name}': cannot open the database (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    });
    try {
      if (await ledger.has(id)) {
        const v = await ledger.version();
        ctx.log.info('migration applied already; not running it again', { id });
        return { result: 'pass', message: `${phase} of ${svc} was applied already (${id}); schema version ${v}`, output: report(false, v) };
      }
      if (source.kind === 'sql') {
        const sql = await readFile(source.file, 'utf8').catch(() => {
          throw new NonRetryableTaskError(`migrate task '${ctx.task.name}': ${phase} file ${source.file} cannot be read; the release (or properties.${phase}) names it`);
        });
        const done = await ledger.apply({ id, release: ctx.run.releaseId, phase, service: svc }, sql);
        ctx.log.info('migration applied', { id, ...done });
        return { result: 'pass', message: `${phase} of ${svc} ${done.applied ? 'applied' : 'was applied already'} (${id}); schema version ${done.schemaVersion}`, output: report(done.applied, done.schemaVersion) };
      }
      const outcome = await runCommand(ctx, source, id, phase);
      if (!('result' in outcome) || outcome.result === 'fail') return outcome;
      const done = await ledger.apply({ id, release: ctx.run.releaseId, phase, service: svc }, '');
      return { ...outcome, message: `${phase} of ${svc} applied by its command (${id}); schema version ${done.schemaVersion}`, output: { ...outcome.output, ...report(true, done.schemaVersion) } };
    } finally {
      await ledger.close();
    }
  }

  return {
    kind: 'migrate',
    validate: migrateProblems,
    execute,
    cleanup: (taskId, workDir) => shell.cleanup!(taskId, workDir),
  };
}
