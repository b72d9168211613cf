/**
 * The few places where SQLite and PostgreSQL need different DDL, decided once from a
 * dialect option instead of by backend name. Everything else (text JSON bodies, bigint
 * millisecond timestamps, composite keys, `ON CONFLICT` upserts) is written once.
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';

export interface SchemaOptions {
  /**
   * How the event log's position column is generated:
   * - `autoincrement`: `integer primary key autoincrement` (SQLite; never reuses a value)
   * - `identity`: `bigint generated always as identity` (PostgreSQL)
   */
  sequenceKey: 'autoincrement' | 'identity';
}

/** Column types shared by every dialect. */
export const columnTypes = {
  /** UTC milliseconds and counters: 64-bit; PostgreSQL returns them as strings. */
  ms: 'bigint',
  /** A whole domain object as JSON text: read back byte for byte, never queried inside. */
  json: 'text',
  text: 'text',
} as const;

/** Adds the strictly increasing primary key column `name` the way the dialect wants it. */
export function addSequenceKey<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
  name: string,
  options: SchemaOptions,
): CreateTableBuilder<T, C> {
  const build =
    options.sequenceKey === 'autoincrement'
      ? (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()
      : (c: ColumnDefinitionBuilder) => c.primaryKey().generatedAlwaysAsIdentity();
  const type = options.sequenceKey === 'autoincrement' ? 'integer' : 'bigint';
  return table.addColumn(name, type, build) as CreateTableBuilder<T, C>;
}
