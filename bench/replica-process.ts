/**
 * A real `slipway server` replica for the bench's PostgreSQL parts (failover-bench.ts,
 * replicas3-bench.ts): the bench's build of the CLI (slipway-cli.ts) as a child process on a port chosen
 * at run time, its own data directory under `dir`, logging warnings only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { benchCli } from './slipway-cli.js';

export interface ReplicaProcess {
  proc: ChildProcess;
  /** Where it listens, once it does; rejects if it exits first. */
  url: Promise<string>;
  exited: Promise<void>;
}

/** `args`: the rest of `slipway server`'s arguments (options such as --lease-ms, then pipeline files). */
export function spawnReplica(dir: string, name: string, store: string, token: string, args: readonly string[]): ReplicaProcess {
  const proc = spawn(process.execPath, [benchCli(), 'server', '--port', '0', '--data', join(dir, `data-${name}`), '--store', store, '--replica-id', name, ...args], {
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_ADMIN_TOKEN: token, SLIPWAY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const url = new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-20_000);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code, signal) => reject(new Error(`replica ${name} exited (${code ?? signal}) before it listened:\n${err}`)));
  });
  url.catch(() => undefined);
  return { proc, url, exited };
}
