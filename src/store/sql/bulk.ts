/**
 * Multi-row INSERTs and DELETE … IN, chunked so no statement exceeds the dialect's
 * bind-parameter limit. One engine transaction carries hundreds of rows; writing them a
 * statement per row would make the database, not the engine, the bottleneck.
 */
import { CompiledQuery, type Insertable, type InsertQueryBuilder, type Kysely } from 'kysely';
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
type LooseWrite = { table: string; key: readonly string[]; onConflict: OnConflict };

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
  const loose = db as unknown as LooseDb;
  for (const chunk of chunks(unique, Math.max(1, Math.floor(maxParameters / columns.length)))) {
    const values = sameShape(chunk as readonly Record<string, unknown>[], columns);
    if (values) {
      const text = shapedInsert(loose, write, columns, chunk.length);
      if (text !== undefined) {
        await loose.executeQuery(CompiledQuery.raw(text, values));
        continue;
      }
    }
    await statement(loose, write, columns, chunk as Record<string, unknown>[]).execute();
  }
}

/** The multi-row INSERT of `rows` as Kysely builds it, with the write's conflict clause. */
function statement(db: LooseDb, write: LooseWrite, columns: readonly string[], rows: Record<string, unknown>[]): InsertQueryBuilder<Record<string, Record<string, unknown>>, string, unknown> {
  const insert = db.insertInto(write.table).values(rows);
  if (write.onConflict === 'fail') return insert;
  if (write.onConflict === 'ignore') return insert.onConflict((oc) => oc.columns(write.key as string[]).doNothing());
  const updated = columns.filter((c) => !write.key.includes(c));
  return insert.onConflict((oc) => oc.columns(write.key as string[]).doUpdateSet((eb) => Object.fromEntries(updated.map((c) => [c, eb.ref(`excluded.${c}`)]))));
}

/**
 * The SQL text of an INSERT of `n` rows of `columns` into the write's table, compiled by Kysely
 * once per shape and dialect and kept: Kysely builds and compiles a node per value, which cost
 * the commit thread more than SQLite's own work on the engine's batches of hundreds of rows.
 * Its parameters are the rows' values, row by row, column by column. Undefined when Kysely's
 * statement has another number of parameters (nothing is kept; the caller builds it instead).
 */
function shapedInsert(db: LooseDb, write: LooseWrite, columns: readonly string[], n: number): string | undefined {
  const adapter = db.getExecutor().adapter;
  let texts = shapes.get(adapter);
  if (!texts) shapes.set(adapter, (texts = new Map()));
  const id = `${write.table}|${write.onConflict}|${write.key.join(',')}|${columns.join(',')}|${n}`;
  const kept = texts.get(id);
  if (kept !== undefined) {
    // Most recently used last: the oldest goes first when the map is full.
    texts.delete(id);
    texts.set(id, kept);
    return kept;
  }
  const blank = Array.from({ length: n }, () => Object.fromEntries(columns.map((c) => [c, null])));
  const compiled = statement(db, write, columns, blank).compile();
  if (compiled.parameters.length !== n * columns.length) return undefined;
  if (texts.size >= MAX_SHAPES) texts.delete(texts.keys().next().value!);
  texts.set(id, compiled.sql);
  return compiled.sql;
}

/** Statement texts by dialect (its adapter), then by shape. */
const shapes = new WeakMap<object, Map<string, string>>();
const MAX_SHAPES = 512;

/**
 * The rows' values in statement order when every row has exactly `columns`, none undefined
 * (Kysely would leave such a column out or write DEFAULT); otherwise undefined.
 */
function sameShape(rows: readonly Record<string, unknown>[], columns: readonly string[]): unknown[] | undefined {
  const values = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) {
    let keys = 0;
    for (const k in row) if (Object.hasOwn(row, k)) keys++;
    if (keys !== columns.length) return undefined;
    for (const c of columns) {
      const v = row[c];
      if (v === undefined) return undefined;
      values[i++] = v;
    }
  }
  return values;
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
