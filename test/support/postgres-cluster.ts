/**
 * A throwaway PostgreSQL cluster for one test run: Debian's binaries, a data directory in a
 * temp dir, 127.0.0.1 on a free port, trust authentication. initdb refuses to run as root,
 * so as root the binaries run as the `postgres` user (runuser). A watchdog shell holds a
 * pipe from this process: when the pipe closes (stop, crash, kill -9 of the test runner) it
 * stops the cluster and removes the directory, so no cluster outlives its run.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest installed major version's bin directory, or SLIPWAY_PG_BIN. */
export function postgresBinDir(): string | undefined {
  const given = process.env['SLIPWAY_PG_BIN'];
  const dirs = given ? [given] : listVersions().map((v) => `/usr/lib/postgresql/${v}/bin`);
  return dirs.find((d) => executable(join(d, 'initdb')) && executable(join(d, 'pg_ctl')));
}

function listVersions(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

export interface Cluster {
  /** Superuser URL of the `postgres` database. */
  url: string;
  stop(): Promise<void>;
  /** `pg_ctl <action>` on the running cluster as its owner (fast mode for stop and restart), waiting until done. */
  ctl(action: 'restart' | 'stop' | 'start'): Promise<void>;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ClusterOptions {
  /**
   * Keep fsync on, as a production server does (the bench's durable-commit figures need it).
   * Tests leave it off: they trade durability for speed.
   */
  durable?: boolean;
}

/** Starts a cluster; about a second for initdb and one for the start on a quiet machine. */
export async function startCluster(bin: string, opts: ClusterOptions = {}): Promise<Cluster> {
  const root = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'slipway-pg-'));
  const data = join(dir, 'data');
  if (root) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  // As root every command runs as `postgres`; otherwise as whoever runs the tests.
  const as = (cmd: string[]): [string, string[]] => (root ? ['runuser', ['-u', 'postgres', '--', ...cmd]] : [cmd[0]!, cmd.slice(1)]);
  const exec = async (cmd: string[]) => {
    const [file, args] = as(cmd);
    try {
      await run(file, args, { cwd: dir });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const log = await readFile(join(dir, 'log'), 'utf8').catch(() => '');
      throw new Error(`${cmd.slice(0, 2).join(' ')} failed: ${err.stderr ?? err.message}\n${log}`);
    }
  };
  // -N: no fsync during initdb; the test cluster trades durability for speed (fsync=off below).
  await exec([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '-N']);
  const port = await freePort();
  const durability = opts.durable ? [] : ['-c fsync=off', '-c full_page_writes=off'];
  const options = [`-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${dir}`, ...durability, '-c max_connections=300'].join(' ');
  await exec([join(bin, 'pg_ctl'), '-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stopCmd = as([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
  const watchdog: ChildProcess = spawn('sh', ['-c', `cat >/dev/null; ${[stopCmd[0], ...stopCmd[1]].map(q).join(' ')} >/dev/null 2>&1; rm -rf ${q(dir)}`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  // The pipe must not keep the test runner alive either; it only has to close when the runner ends.
  (watchdog.stdin as unknown as { unref(): void }).unref();
  const done = new Promise<void>((r) => watchdog.on('exit', () => r()));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      watchdog.stdin?.end();
      await done;
    },
    ctl: (action) =>
      exec([join(bin, 'pg_ctl'), '-D', data, ...(action === 'stop' ? [] : ['-o', options, '-l', join(dir, 'log')]), ...(action === 'start' ? [] : ['-m', 'fast']), '-w', '-t', '60', action]),
  };
}

/** Who runs the tests, for messages. */
export const testUser = (): string => userInfo().username;
