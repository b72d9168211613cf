/**
 * `slipway backup FILE`: a consistent copy of a running server's store, fetched over the API
 * (admin token), or, with `--data DIR`, taken from a data directory no server uses.
 * `slipway restore FILE --data DIR [--force]`: puts a backup in place, offline: it refuses a
 * directory a Slipway process holds (the data lock) and an existing store unless --force.
 * With `--store postgres://…` both work on a PostgreSQL store instead (pg_dump / pg_restore:
 * src/store/postgres/backup.ts): backup of that database directly, restore into an empty
 * database no server is connected to.
 */
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebStream } from 'node:stream/web';
import type { Command } from 'commander';
import { SlipwayError, isSlipwayError } from '../../core/index.js';
import { DEFAULT_SQLITE_FILE, backupFormatOf, backupPostgresUrl, lockDataDir, openSqliteStore, parseStoreUrl, restorePostgres, restoreSqlite, type DataLock } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import { act, serverCommand } from '../context.js';

/** The data directory's lock, with a refusal that says what to do for this command. */
function lockFor(dir: string, doing: string): DataLock {
  try {
    return lockDataDir(dir);
  } catch (e) {
    if (!isSlipwayError(e) || e.code !== 'DATA_DIR_LOCKED') throw e;
    const holder = e.fields['holder'] as { pid?: number; command?: string } | undefined;
    const who = holder?.pid !== undefined ? `pid ${holder.pid} (\`${holder.command ?? '?'}\`)` : 'another Slipway process';
    throw new SlipwayError('DATA_DIR_LOCKED', `cannot ${doing}: the data directory ${dir} is in use by ${who}; stop it first${doing.startsWith('back up') ? ', or back up through it: `slipway backup FILE` without --data' : ''}`, e.fields, { cause: e });
  }
}

async function fromServer(ctx: CommandContext, file: string): Promise<{ file: string; bytes: number; format: string }> {
  const target = resolve(file);
  let res: Response;
  try {
    res = await fetch(ctx.client.url('/api/v1/system/backup'), { method: 'POST', headers: ctx.client.headers() });
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `cannot reach the Slipway server at ${ctx.client.config.server} (${(e as Error).message}); start it, or back up a stopped server's directory with --data DIR`);
  }
  if (!res.ok || !res.body) {
    // The error answer is JSON like every other; the client turns it into the usual one-line error.
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    const code = body.code === 'FORBIDDEN' || body.code === 'UNAUTHORIZED' || body.code === 'NOT_SUPPORTED' || body.code === 'STORE' || body.code === 'STORE_FULL' ? body.code : 'INVALID_INPUT';
    throw new SlipwayError(code, `the server refused the backup (${res.status}): ${body.message ?? res.statusText}${res.status === 403 ? '; a backup needs an admin token' : ''}`, { status: res.status });
  }
  const tmp = `${target}.partial`;
  try {
    await pipeline(Readable.fromWeb(res.body as WebStream<Uint8Array>), createWriteStream(tmp));
    const expected = Number(res.headers.get('content-length'));
    const got = statSync(tmp).size;
    if (Number.isFinite(expected) && expected > 0 && got !== expected) throw new Error(`the answer ended after ${got} of ${expected} bytes`);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new SlipwayError('STORE', `the backup did not arrive whole at ${target}: ${(e as Error).message}; try again`, { file: target }, { cause: e });
  }
  return { file: target, bytes: statSync(target).size, format: res.headers.get('x-slipway-backup-format') ?? 'sqlite' };
}

/** A PostgreSQL URL given with --store (or SLIPWAY_STORE), else undefined: the command works on SQLite. */
function postgresStore(store: string | undefined): string | undefined {
  if (store === undefined || store.trim() === '') return undefined;
  const t = parseStoreUrl(store);
  if (t.kind !== 'postgres') throw new SlipwayError('INVALID_INPUT', `--store is for a PostgreSQL store (postgres://…); for SQLite use --data DIR`, { field: 'store' });
  return t.url;
}

const restoreHint = (format: string, file: string): string =>
  format === 'pg_dump' ? `slipway restore ${file} --store postgres://USER@HOST/EMPTY_DATABASE` : `slipway restore ${file} --data DIR`;

async function fromDataDir(dir: string, file: string): Promise<{ file: string; bytes: number; format: string }> {
  const dataDir = resolve(dir);
  const dbFile = join(dataDir, DEFAULT_SQLITE_FILE);
  if (!existsSync(dbFile)) throw new SlipwayError('INVALID_INPUT', `no store in ${dataDir} (no ${DEFAULT_SQLITE_FILE}); name the data directory a server ran on`, { field: 'data' });
  const lock = lockFor(dataDir, `back up ${dataDir}`);
  try {
    const store = await openSqliteStore({ file: dbFile, migrate: false });
    try {
      return await store.backup(file);
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

export function registerBackup(program: Command): void {
  serverCommand(program, 'backup', "write a consistent copy of the store to FILE, while the server runs (admin token); or, with --data, of a stopped server's data directory")
    .argument('<file>', 'where to write the backup (replaced if it exists)')
    .option('--data <dir>', 'back up this data directory directly (no server may be running on it)')
    .option('--store <url>', 'back up this PostgreSQL database directly with pg_dump (postgres://…; a server may keep running on it)')
    .action(
      act<{ data?: string; store?: string }>(async (ctx, [file], o) => {
        const pgUrl = postgresStore(o.store);
        const done =
          pgUrl !== undefined
            ? await backupPostgresUrl(pgUrl, file!)
            : o.data !== undefined
              ? await fromDataDir(o.data, file!)
              : await fromServer(ctx, file!);
        if (ctx.json) ctx.emit(done);
        else ctx.print(`backup written to ${done.file} (${done.bytes} bytes); restore it with: ${restoreHint(done.format, file!)}`);
      }),
    );

  serverCommand(program, 'restore', 'put a backup in place as the store of a data directory, or of a PostgreSQL database with --store (offline: no server may be running on it)')
    .argument('<file>', 'a file written by slipway backup')
    .option('--data <dir>', 'the data directory to restore into', process.env['SLIPWAY_DATA'] ?? '.slipway')
    .option('--store <url>', 'restore a pg_dump backup into this PostgreSQL database (postgres://…; it must exist, and be empty unless --force)')
    .option('--force', 'replace the store the directory (or database) has')
    .action(
      act<{ data: string; store?: string; force?: boolean }>(async (ctx, [file], o) => {
        const pgUrl = postgresStore(o.store);
        if (pgUrl !== undefined) {
          const done = await restorePostgres(file!, pgUrl, { force: o.force === true });
          if (ctx.json) ctx.emit(done);
          else {
            ctx.print(`restored ${done.file} (${done.bytes} bytes, ${done.tables} tables) into the PostgreSQL store at ${done.target}${done.replaced !== undefined ? `, replacing ${done.replaced}` : ''}`);
            ctx.print(`note: stored secrets are sealed with the old server's secret.key; copy it to the new server's --data directory (or set SLIPWAY_SECRET_KEY) if you use secrets`);
            ctx.print(`start it with: slipway server --store <the same URL> --data DIR`);
          }
          return;
        }
        if (existsSync(file!) && backupFormatOf(file!) === 'pg_dump') {
          throw new SlipwayError('INVALID_INPUT', `${resolve(file!)} is a pg_dump backup of a PostgreSQL store; restore it with --store postgres://USER@HOST/EMPTY_DATABASE`, { field: 'file', value: file });
        }
        const dataDir = resolve(o.data);
        await mkdir(dataDir, { recursive: true });
        const lock = lockFor(dataDir, `restore into ${dataDir}`);
        try {
          const done = await restoreSqlite(file!, join(dataDir, DEFAULT_SQLITE_FILE), { force: o.force === true });
          if (ctx.json) ctx.emit({ ...done, dataDir });
          else {
            ctx.print(`restored ${resolve(file!)} into ${done.file} (${done.bytes} bytes)`);
            if (!existsSync(join(dataDir, 'secret.key'))) ctx.print(`note: stored secrets are sealed with the old data directory's secret.key; copy it to ${dataDir} (or set SLIPWAY_SECRET_KEY) if you use secrets`);
            ctx.print(`start it with: slipway server --data ${o.data}`);
          }
        } finally {
          lock.release();
        }
      }),
    );
}
