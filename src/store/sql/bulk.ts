/**
 * Multi-row INSERTs and DELETE … IN, chunked so no statement exceeds the dialect's
 * bind-parameter limit. One engine transaction carries hundreds of rows; writing them a
 * statement per row would make the database, not the engine, the bottleneck.
 */
import type { Insertable, Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * What a row whose key already exists does:
 * - `fail`: the statement (and so the transaction) fails — an event id is written once
 * - `ignore`: the stored row stays — immutable content under a content-derived id
 * - `replace`: the new row replaces every non-key column
 */
export type OnConflict = 'fail' | 'ignore' | 'replace';

export interface TableWrite<T extends keyof Database> {
  table: T;
  key: readonly (keyof Database[T] & string)[];
  onConflict: OnConflict;
}

// The builder is loosened to plain records once, here, so one function serves every table.
type LooseDb = Kysely<Record<string, Record<string, unknown>>>;

export async function insertRows<T extends keyof Database>(
  db: Kysely<Database>,
  write: TableWrite<T>,
  rows: readonly Insertable<Database[T]>[],
  maxParameters: number,
): Promise<void> {
  const unique = write.onConflict === 'fail' ? rows : onePerKey(rows, write.key, write.onConflict);
  const first = unique[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const updated = columns.filter((c) => !(write.key as readonly string[]).includes(c));
  const loose = db as unknown as LooseDb;
  for (const chunk of chunks(unique, Math.max(1, Math.floor(maxParameters / columns.length)))) {
    const insert = loose.insertInto(write.table as string).values(chunk as Record<string, unknown>[]);
    if (write.onConflict === 'fail') await insert.execute();
    else if (write.onConflict === 'ignore') await insert.onConflict((oc) => oc.columns(write.key).doNothing()).execute();
    else {
      await insert
        .onConflict((oc) =>
          oc.columns(write.key).doUpdateSet((eb) => Object.fromEntries(updated.map((c) => [c, eb.ref(`excluded.${c}`)]))),
        )
        .execute();
    }
  }
}

/** Deletes the rows whose `column` is one of `values`. */
export async function deleteWhereIn<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
  column: keyof Database[T] & string,
  values: readonly string[],
  maxParameters: number,
): Promise<void> {
  const loose = db as unknown as LooseDb;
  for (const chunk of chunks([...new Set(values)], maxParameters)) {
    await loose.deleteFrom(table as string).where(column as string, 'in', chunk).execute();
  }
}

/**
 * One row per key, in first-seen order: the last one to replace, the first one to ignore,
 * as writing them one by one would leave it. PostgreSQL refuses an upsert statement that
 * touches one row twice.
 */
function onePerKey<R>(rows: readonly R[], key: readonly string[], onConflict: 'ignore' | 'replace'): R[] {
  const byKey = new Map<string, R>();
  for (const row of rows) {
    const id = JSON.stringify(key.map((k) => (row as Record<string, unknown>)[k]));
    if (onConflict === 'ignore' && byKey.has(id)) continue;
    byKey.set(id, row);
  }
  return [...byKey.values()];
}

function* chunks<R>(rows: readonly R[], size: number): Generator<R[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
