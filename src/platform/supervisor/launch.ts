/** Starting one process of an instance, its output going to the instance log. */
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { appEnvironment } from './environment.js';
import type { InstanceLog } from './logs.js';
import { spawnApp } from './process.js';
import type { InstanceSpec } from './types.js';

export async function launchProcess(spec: InstanceSpec, port: number, log: InstanceLog): Promise<ChildProcess & { pid: number }> {
  const dir = await stat(spec.dir).catch(() => undefined);
  if (!dir?.isDirectory()) throw new Error(`the app directory ${spec.dir} does not exist`);
  const fd = await log.openForApp();
  try {
    const child = await spawnApp({ command: spec.manifest.start, cwd: spec.dir, env: appEnvironment(spec, port), logFd: fd });
    return child as ChildProcess & { pid: number };
  } finally {
    closeSync(fd);
  }
}
