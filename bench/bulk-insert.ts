/**
 * `node dist/bench/bench/bulk-insert.js [--rows N] [--rounds R]`: the store's multi-row upsert
 * (src/store/sql/bulk.ts `insertRows`, as the commit thread writes the engine's batches) against
 * the same statement built by Kysely for every call (what insertRows did before it kept SQL texts
 * by shape), and against one better-sqlite3 statement prepared once (the floor), on the same
 * in-memory SQLite table with the same rows, in the same run. Prints ms per batch and the ratios.
 */
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { insertRows } from '../src/store/sql/bulk.js';
import type { Database as Schema } from '../src/store/sql/schema.js';
import { cachingStatements } from '../src/store/sqlite/statements.js';
import { median } from './stats.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '800' }, rounds: { type: 'string', default: '60' } } });
const N = Number(args.rows);
const ROUNDS = Number(args.rounds);
const COLUMNS = Array.from({ length: 12 }, (_, i) => `c${i}`);
const ALL = ['id', ...COLUMNS];

const raw = new Database(':memory:');
raw.exec(`create table t (id text primary key, ${COLUMNS.map((c) => `${c} text`).join(', ')})`);
// The store's own connection wrapper: prepared statements kept by SQL text, as the commit thread has.
const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });

let seq = 0;
const batch = () => Array.from({ length: N }, () => Object.fromEntries(ALL.map((c) => [c, `${c}-${seq++}`])));
const upsert = (rows: Record<string, unknown>[]) =>
  db
    .insertInto('t')
    .values(rows)
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => Object.fromEntries(COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))))
    .execute();
const prepared = raw.prepare(`insert into t (${ALL.join(', ')}) values ${Array.from({ length: N }, () => `(${ALL.map(() => '?').join(', ')})`).join(', ')} on conflict (id) do update set ${COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`);

const ways: Record<string, (rows: Record<string, unknown>[]) => Promise<unknown>> = {
  insertRows: (rows) => insertRows(db as unknown as Kysely<Schema>, { table: 't' as keyof Schema, key: ['id'], onConflict: 'replace' } as never, rows as never[], 32766),
  kyselyEachTime: upsert,
  preparedOnce: (rows) => Promise.resolve(prepared.run(rows.flatMap((r) => ALL.map((c) => r[c])))),
};
const ms: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
// Interleaved, after a warm-up of each, so drift favours none of them.
for (const fn of Object.values(ways)) for (let i = 0; i < 5; i++) await fn(batch());
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(ways)) {
    const rows = batch();
    const t = performance.now();
    await fn(rows);
    ms[name]!.push(performance.now() - t);
  }
}
const m = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)]));
for (const [k, v] of Object.entries(m)) process.stdout.write(`${k.padEnd(15)} ${v.toFixed(2)} ms per ${N}-row upsert (median of ${ROUNDS})\n`);
process.stdout.write(`insertRows ÷ kyselyEachTime ${(m['insertRows']! / m['kyselyEachTime']!).toFixed(2)}; insertRows ÷ preparedOnce ${(m['insertRows']! / m['preparedOnce']!).toFixed(2)}\n`);
await db.destroy();
