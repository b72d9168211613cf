/** A real `slipway server` child process on 127.0.0.1, on a port chosen at run time. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { storeArgs } from './e2e-store.js';
import { ended } from './process-ended.js';
import { BIN } from './slipway-process.js';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

export async function startServerProcess(args: string[], cwd: string, env: Record<string, string>): Promise<ServerProcess> {
  // SLIPWAY_TEST_STORE=postgres: the data directory's own PostgreSQL database (e2e-store.ts).
  const store = await storeArgs(args, cwd, env);
  const proc = spawn(process.execPath, [BIN, 'server', '--port', '0', ...args, ...store], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Not listening in time: the process is killed, not left running after the test.
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in 40 s:\n${err}`));
    }, 40_000);
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}:\n${err}`));
    });
  });
  const exited = ended(proc).then((e) => e.code);
  return {
    url,
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
