/**
 * PostgreSQL's own client programs (pg_dump, pg_restore) for the store's backup and restore:
 * where they are, and running one against a target without the password on its command line.
 * The URL handed to them has its password taken out; the password reaches the child as
 * PGPASSWORD in its environment, which neither `ps` nor a log line shows.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SlipwayError } from '../../core/errors.js';
import { describe, type PostgresTarget } from './url.js';

export type PgTool = 'pg_dump' | 'pg_restore';

const DEBIAN_ROOT = '/usr/lib/postgresql';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian installs each major version's programs in /usr/lib/postgresql/<major>/bin; the newest dumps every older server. */
function debianBinDirs(root: string): string[] {
  try {
    return readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(root, v, 'bin'));
  } catch {
    return [];
  }
}

/**
 * The program's path: SLIPWAY_PG_BIN when set (and nothing else, so a wrong setting is not
 * hidden), else PATH, else Debian's version directories. Missing: an error naming the
 * program, where it was looked for, and the fix.
 */
export function findPgTool(tool: PgTool, env: Readonly<Record<string, string | undefined>> = process.env, debianRoot = DEBIAN_ROOT): string {
  const given = env['SLIPWAY_PG_BIN'];
  const dirs = given ? [given] : [...(env['PATH'] ?? '').split(delimiter).filter(Boolean), ...debianBinDirs(debianRoot)];
  const found = dirs.map((d) => join(d, tool)).find(executable);
  if (found !== undefined) return found;
  const where = given ? `SLIPWAY_PG_BIN (${given})` : `PATH or ${debianRoot}/*/bin`;
  throw new SlipwayError(
    'NOT_SUPPORTED',
    `${tool} is not installed: it is not in ${where}; install PostgreSQL's client programs (Debian: apt-get install postgresql-client, the same major version as the server or newer) or set SLIPWAY_PG_BIN to the directory holding ${tool}`,
    { tool },
  );
}

/** The target as libpq reads it, without the password (the child gets it as PGPASSWORD). */
export function childConnection(t: PostgresTarget): { url: string; env: Record<string, string> } {
  const u = new URL(t.connectionString);
  const password = decodeURIComponent(u.password);
  u.password = '';
  // `no-verify` is the node driver's own word; libpq's closest is `require` (encrypt, do not check).
  if (u.searchParams.get('sslmode') === 'no-verify') u.searchParams.set('sslmode', 'require');
  return { url: u.toString(), env: password !== '' ? { PGPASSWORD: password } : {} };
}

/** Takes the password out of anything a child printed, in case it echoes a connection string. */
function scrub(text: string, t: PostgresTarget): string {
  const raw = new URL(t.connectionString).password;
  // Both spellings: as typed in the URL (percent-encoded) and as sent.
  return [raw, decodeURIComponent(raw)].filter((p) => p !== '').reduce((s, p) => s.split(p).join('***'), text);
}

/**
 * Runs `tool args…`, against the target when one is given (the URL goes in as `--dbname=`).
 * Resolves with its stdout when it exits 0; otherwise an error with its last lines of
 * stderr, naming what it was doing.
 */
export async function runPgTool(
  tool: PgTool,
  args: string[],
  opts: { target?: PostgresTarget; doing: string; env?: Readonly<Record<string, string | undefined>> },
): Promise<string> {
  const env = opts.env ?? process.env;
  const path = findPgTool(tool, env);
  const t = opts.target;
  const conn = t ? childConnection(t) : undefined;
  const child = spawn(path, conn ? [...args, `--dbname=${conn.url}`] : args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...conn?.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  if (code !== 0) {
    const said = (t ? scrub(stderr.trim(), t) : stderr.trim()).split('\n').slice(-3).join(' ').replace(/\s+/g, ' ');
    throw new SlipwayError('STORE', `${opts.doing} failed: ${tool} (${path}) exited with ${code ?? 'a signal'}: ${said || 'no message'}${t ? `; target ${describe(t)}` : ''}`, { tool, exitCode: code });
  }
  return stdout;
}
