/**
 * Approvals given ahead live in the event log until a run counts them, and loading a
 * release reads its project's `sh.slipway.release.approval` events since the release was
 * made: an index on (type, time) keeps that read small in a long log.
 */
import type { Kysely, Migration } from 'kysely';

export function approvalEventsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('events_type_time').ifNotExists().on('events').columns(['type', 'time_ms']).execute();
    },
  };
}
