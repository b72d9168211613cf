import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childConnection, findPgTool, runPgTool } from '../../src/store/postgres/backup-tools.js';
import { backupFormatOf } from '../../src/store/postgres/backup.js';
import { parsePostgresUrl } from '../../src/store/postgres/url.js';

let dir: string;

/** A fake `/usr/lib/postgresql` with versions 13 and 16, each with a pg_dump that prints its version. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-pgtools-'));
  for (const v of ['13', '16']) {
    mkdirSync(join(dir, 'lib', v, 'bin'), { recursive: true });
    const file = join(dir, 'lib', v, 'bin', 'pg_dump');
    // Prints its version, its arguments and whether it got the password; fails when asked to.
    writeFileSync(file, `#!/bin/sh\necho "v${v} $* PGPASSWORD=$PGPASSWORD"\n[ "$1" = fail ] && { echo "pg_dump: error: connection to server failed: password p%40ss-secret or p@ss-secret" >&2; exit 1; }\nexit 0\n`);
    chmodSync(file, 0o755);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PostgreSQL client programs for backup and restore', () => {
  it('finds a program on PATH first, else the newest Debian version directory, else says what is missing and how to fix it', () => {
    const lib = join(dir, 'lib');
    expect(findPgTool('pg_dump', { PATH: '/nonexistent' }, lib)).toBe(join(lib, '16', 'bin', 'pg_dump'));
    expect(findPgTool('pg_dump', { PATH: join(lib, '13', 'bin') }, lib)).toBe(join(lib, '13', 'bin', 'pg_dump'));
    expect(findPgTool('pg_dump', { SLIPWAY_PG_BIN: join(lib, '13', 'bin'), PATH: join(lib, '16', 'bin') }, lib)).toBe(join(lib, '13', 'bin', 'pg_dump'));
    expect(() => findPgTool('pg_restore', { PATH: '/nonexistent' }, lib)).toThrow(
      /pg_restore is not installed: it is not in PATH or .*\/lib\/\*\/bin; install PostgreSQL's client programs \(Debian: apt-get install postgresql-client.*or set SLIPWAY_PG_BIN/,
    );
    // A wrong SLIPWAY_PG_BIN is not papered over by PATH.
    expect(() => findPgTool('pg_dump', { SLIPWAY_PG_BIN: '/nowhere', PATH: join(lib, '16', 'bin') }, lib)).toThrow(/not in SLIPWAY_PG_BIN \(\/nowhere\)/);
  });

  it('hands the child the URL without the password, and the password as PGPASSWORD', () => {
    const t = parsePostgresUrl('postgres://slipway:p%40ss-secret@db.internal:5433/slipway?sslmode=no-verify&pool=4');
    const c = childConnection(t);
    expect(c.url).toBe('postgres://slipway@db.internal:5433/slipway?sslmode=require');
    expect(c.env).toEqual({ PGPASSWORD: 'p@ss-secret' });
    expect(childConnection(parsePostgresUrl('postgres://slipway@db/slipway')).env).toEqual({});
  });

  it('runs the program with --dbname and PGPASSWORD, and a failure names the program and the target without the password', async () => {
    const env = { PATH: '/nonexistent', SLIPWAY_PG_BIN: join(dir, 'lib', '16', 'bin') };
    const t = parsePostgresUrl('postgres://slipway:p%40ss-secret@127.0.0.1:5433/slipway');
    const out = await runPgTool('pg_dump', ['--format=custom'], { target: t, doing: 'a test backup', env });
    expect(out.trim()).toBe('v16 --format=custom --dbname=postgres://slipway@127.0.0.1:5433/slipway PGPASSWORD=p@ss-secret');
    const err = await runPgTool('pg_dump', ['fail'], { target: t, doing: 'a test backup', env }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(
      /^a test backup failed: pg_dump \(.*\/16\/bin\/pg_dump\) exited with 1: pg_dump: error: connection to server failed: password \*\*\* or \*\*\*; target 127\.0\.0\.1:5433 \(database 'slipway', user 'slipway'\)$/,
    );
    expect(err?.message).not.toContain('ss-secret');
  });

  it('tells a pg_dump file from a SQLite file by their first bytes', () => {
    writeFileSync(join(dir, 'a.dump'), 'PGDMP\u0001\u000e\u0000rest');
    writeFileSync(join(dir, 'b.db'), 'SQLite format 3\u0000rest');
    writeFileSync(join(dir, 'c.txt'), 'hello');
    expect([backupFormatOf(join(dir, 'a.dump')), backupFormatOf(join(dir, 'b.db')), backupFormatOf(join(dir, 'c.txt'))]).toEqual(['pg_dump', 'sqlite', 'unknown']);
  });
});
