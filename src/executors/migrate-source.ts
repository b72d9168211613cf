/**
 * What a `migrate` task runs for a phase, and where: the properties name it (`expand:` /
 * `contract:`, a `.sql` file or a command), or the release carries it (the service's
 * artifact directory holds `migrations/<phase>.sql`). Shared by the executor and the plan
 * (`slipway migrate plan`), so a dry run shows exactly what the task would run.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Properties, Problem } from './properties.js';
import { describe, stringMapProblems } from './properties.js';

export type Phase = 'expand' | 'contract';
export const PHASES: readonly Phase[] = ['expand', 'contract'];

export type MigrationSource =
  | { kind: 'sql'; file: string }
  | { kind: 'command'; run: string; cwd: string }
  | { kind: 'none' };

export function migrateProblems(props: Properties): Problem[] {
  const out: Problem[] = [];
  if (!PHASES.includes(props.phase as Phase)) out.push({ field: 'phase', message: `phase must be expand or contract, got ${describe(props.phase)}` });
  if (typeof props.database !== 'string' || props.database.trim() === '') {
    out.push({ field: 'database', message: `database must be a SQLite file path or a postgres:// URL (by \${secret:NAME} reference), got ${describe(props.database)}; the ledger of applied migrations lives there` });
  }
  for (const f of ['service', ...PHASES] as const) {
    if (props[f] !== undefined && (typeof props[f] !== 'string' || props[f].trim() === '')) out.push({ field: f, message: `${f} must be a non-empty string, got ${describe(props[f])}` });
  }
  if (props.autoContract !== undefined && typeof props.autoContract !== 'boolean') out.push({ field: 'autoContract', message: `autoContract must be true or false, got ${describe(props.autoContract)}` });
  const recheck = props.contractRecheckMs;
  if (recheck !== undefined && !(Number.isInteger(recheck) && (recheck as number) >= 10)) out.push({ field: 'contractRecheckMs', message: `contractRecheckMs must be an integer ≥ 10, got ${describe(recheck)}` });
  out.push(...stringMapProblems(props, 'env'));
  return out;
}

/** The service a task migrates: named, or the run's only one. */
export function serviceOf(props: Properties, services: readonly string[]): string | Problem {
  if (typeof props.service === 'string') {
    return services.includes(props.service) ? props.service : { field: 'service', message: `service '${props.service}' is not in this release (it has: ${services.join(', ')})` };
  }
  if (services.length === 1) return services[0]!;
  return { field: 'service', message: `the release has several services (${services.join(', ')}); name the one whose database this migrates with service:` };
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** `artifact` as a directory (relative to the project), when it is one: where the release's migrations are. */
export async function artifactDir(projectDir: string, artifact: string | undefined): Promise<string | undefined> {
  if (artifact === undefined) return undefined;
  const dir = resolve(projectDir, artifact);
  return (await isDir(dir)) ? dir : undefined;
}

export async function sourceOf(props: Properties, phase: Phase, projectDir: string, artifact: string | undefined): Promise<MigrationSource> {
  const dir = await artifactDir(projectDir, artifact);
  const base = dir ?? projectDir;
  const given = props[phase];
  if (typeof given === 'string') {
    if (/\.sql$/i.test(given.trim())) return { kind: 'sql', file: isAbsolute(given) ? given : resolve(base, given.trim()) };
    return { kind: 'command', run: given, cwd: base };
  }
  const carried = dir ? join(dir, 'migrations', `${phase}.sql`) : undefined;
  return carried && (await isFile(carried)) ? { kind: 'sql', file: carried } : { kind: 'none' };
}

export function describeSource(s: MigrationSource): string {
  return s.kind === 'sql' ? `sql ${s.file}` : s.kind === 'command' ? `command \`${s.run}\` in ${s.cwd}` : 'none (the release carries no migration for this phase)';
}

/** One per project, stage, service, release and phase: a migration runs once per stage. */
export function migrationId(project: string, stage: string, service: string, releaseId: string, phase: Phase): string {
  return `${project}/${stage}/${service}/${releaseId}/${phase}`;
}
