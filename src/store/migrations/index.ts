/**
 * Migrations are code, listed here in order, one set for every dialect; the dialect's
 * differences arrive as SchemaOptions. Nothing is read from the file system, so the
 * bundle and the tests migrate the same way.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import { initialSchema } from './0001-initial.js';
import { accessSchema } from './0002-access.js';
import { runSpecsSchema } from './0003-run-specs.js';
import { secretsSchema } from './0004-secrets.js';
import { approvalEventsSchema } from './0005-approval-events.js';
import { webhookDeliveriesSchema } from './0006-webhook-deliveries.js';
import { notificationsSchema } from './0009-notifications.js';
import { keptnPartialsSchema } from './0010-keptn-partials.js';
import { auditSchema } from './0011-audit.js';
import { insightsIndexes } from './0012-insights-indexes.js';
import { flagsSchema } from './0013-flags.js';
import { leasesSchema } from './0015-leases.js';
import { idempotencySchema } from './0016-idempotency.js';
import { runServicesSchema } from './0017-run-services.js';
import type { SchemaOptions } from './schema-options.js';

export type { SchemaOptions } from './schema-options.js';

/** Names sort in application order; never rename or reorder a released one. */
export function migrations(options: SchemaOptions): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(options),
    '0002-access': accessSchema(),
    '0003-run-specs': runSpecsSchema(),
    '0004-secrets': secretsSchema(),
    '0005-approval-events': approvalEventsSchema(),
    '0006-webhook-deliveries': webhookDeliveriesSchema(),
    '0009-notifications': notificationsSchema(options),
    '0010-keptn-partials': keptnPartialsSchema(),
    '0011-audit': auditSchema(options),
    '0012-insights-indexes': insightsIndexes(),
    '0013-flags': flagsSchema(),
    '0015-leases': leasesSchema(),
    '0016-idempotency': idempotencySchema(),
    '0017-run-services': runServicesSchema(),
  };
}

export function migrationProvider(options: SchemaOptions): MigrationProvider {
  const all = migrations(options);
  return { getMigrations: () => Promise.resolve(all) };
}

/** Applies every pending migration; a second call finds none and does nothing. */
export async function migrateToLatest(db: Kysely<unknown>, options: SchemaOptions): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(options),
    migrationTableName: 'slipway_migration',
    migrationLockTableName: 'slipway_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  const reason = error instanceof Error ? error.message : String(error);
  throw new SlipwayError('STORE', `store migration '${failed}' failed: ${reason}; the database was left at the last migration that succeeded`, { migration: failed }, { cause: error });
}
