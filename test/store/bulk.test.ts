/**
 * Multi-row writes (src/store/sql/bulk.ts) on a real SQLite database through Kysely: the SQL
 * text kept per shape (table, conflict mode, columns, row count) writes what Kysely's own
 * statement writes, rows that do not fit a shape (a column left out or undefined) still go
 * through Kysely, and shapes never mix. The engine's batches on both stores: the store contract
 * suite (test/store/cases/commit.case.ts).
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { insertRows } from '../../src/store/sql/bulk.js';
import type { Database as Schema } from '../../src/store/sql/schema.js';

type Row = { id: string; a: string | null; b: number; c?: string | null };

let open: Kysely<Schema>[] = [];
afterEach(async () => {
  for (const db of open) await db.destroy();
  open = [];
});

/** A table `t` (id, a, b, c with a default), typed loosely as one of the schema's tables for insertRows. */
function database(): { db: Kysely<Schema>; rows(): Row[]; statements: string[] } {
  const raw = new Database(':memory:');
  raw.exec(`create table t (id text primary key, a text, b integer not null, c text default 'dflt')`);
  const statements: string[] = [];
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: raw }), log: (e) => void statements.push(e.query.sql) });
  open.push(db);
  return { db, rows: () => raw.prepare('select id, a, b, c from t order by id').all() as Row[], statements };
}

const write = (onConflict: 'fail' | 'ignore' | 'replace') => ({ table: 't' as keyof Schema, key: ['id'], onConflict }) as never;

describe('insertRows', () => {
  it('writes every row with its values in place, whatever the row count, and replaces, ignores or fails on a taken key', async () => {
    const { db, rows, statements } = database();
    await insertRows(db, write('fail'), [{ id: 'r1', a: 'x', b: 1, c: 'one' }, { id: 'r2', a: null, b: 2, c: 'two' }] as never[], 1000);
    await insertRows(db, write('replace'), [{ id: 'r2', a: 'y', b: 20, c: 'two!' }, { id: 'r3', a: 'z', b: 3, c: 'three' }] as never[], 1000);
    await insertRows(db, write('ignore'), [{ id: 'r3', a: 'nope', b: 30, c: 'nope' }, { id: 'r4', a: 'w', b: 4, c: 'four' }] as never[], 1000);
    // The same shape again (the kept text, with these rows' values), then the columns in another order.
    await insertRows(db, write('replace'), [{ id: 'r1', a: 'x2', b: 10, c: 'one!' }, { id: 'r5', a: 'q', b: 50, c: 'q' }] as never[], 1000);
    await insertRows(db, write('replace'), [{ c: 'five', b: 5, a: 'v', id: 'r5' }, { c: 'one!', b: 10, a: 'x2', id: 'r1' }] as never[], 1000);
    await insertRows(db, write('replace'), [{ id: 'r6', a: 'u', b: 6, c: 'six' }] as never[], 1000);
    expect(rows()).toEqual([
      { id: 'r1', a: 'x2', b: 10, c: 'one!' },
      { id: 'r2', a: 'y', b: 20, c: 'two!' },
      { id: 'r3', a: 'z', b: 3, c: 'three' },
      { id: 'r4', a: 'w', b: 4, c: 'four' },
      { id: 'r5', a: 'v', b: 5, c: 'five' },
      { id: 'r6', a: 'u', b: 6, c: 'six' },
    ]);
    await expect(insertRows(db, write('fail'), [{ id: 'r1', a: 'again', b: 0, c: 'x' }] as never[], 1000)).rejects.toThrow(/UNIQUE/);
    expect(statements.filter((s) => s.startsWith('insert')).length).toBe(7);
  });

  it('chunks by the parameter limit, each chunk in its own statement', async () => {
    const { db, rows, statements } = database();
    const many = Array.from({ length: 10 }, (_, i) => ({ id: `r${String(i).padStart(2, '0')}`, a: `a${i}`, b: i, c: `c${i}` }));
    // 4 columns, at most 12 parameters: chunks of 3, 3, 3, 1.
    await insertRows(db, write('fail'), many as never[], 12);
    expect(rows()).toEqual(many);
    expect(statements.filter((s) => s.startsWith('insert')).map((s) => (s.match(/\?/g) ?? []).length)).toEqual([12, 12, 12, 4]);
  });

  it("rows that leave a column out, or undefined, go through Kysely as before: no value lands in another row's or column's place", async () => {
    const { db, rows } = database();
    await insertRows(db, write('fail'), [{ id: 'r1', a: 'x', b: 1, c: 'set' }, { id: 'r2', a: 'y', b: 2, c: 'set' }] as never[], 1000);
    // Same first row's columns, the second row without c: not the kept 2-row shape.
    await insertRows(db, write('fail'), [{ id: 'r3', a: 'x', b: 3, c: 'set' }, { id: 'r4', a: 'y', b: 4 }] as never[], 1000);
    await insertRows(db, write('fail'), [{ id: 'r5', a: 'x', b: 5, c: undefined }, { id: 'r6', a: 'y', b: 6, c: 'set' }] as never[], 1000);
    await insertRows(db, write('fail'), [{ id: 'r7', a: 'x', b: 7 }] as never[], 1000);
    // Kysely writes NULL for a value missing from a multi-row insert on SQLite (which has no DEFAULT
    // there), and leaves a column out of a one-row insert (its default).
    expect(rows()).toEqual([
      { id: 'r1', a: 'x', b: 1, c: 'set' },
      { id: 'r2', a: 'y', b: 2, c: 'set' },
      { id: 'r3', a: 'x', b: 3, c: 'set' },
      { id: 'r4', a: 'y', b: 4, c: null },
      { id: 'r5', a: 'x', b: 5, c: null },
      { id: 'r6', a: 'y', b: 6, c: 'set' },
      { id: 'r7', a: 'x', b: 7, c: 'dflt' },
    ]);
  });
});
