/** The DeployTarget contract against the local platform and, where Debian's nginx is installed, the nginx target. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { LocalPlatform } from '../../src/platform/local/index.js';
import { freePort } from '../../src/platform/free-port.js';
import { NginxTarget } from '../../src/platform/nginx/index.js';
import { deployTargetContract } from './target.case.js';
import { removeDataDir } from '../support/remove-data-dir.js';

const APP = fileURLToPath(new URL('../../examples/demo-app/', import.meta.url));
const dirOf = { '1.0.0': '1.0.0', '1.1.0': '1.1.0', unhealthy: '1.4.0-unhealthy' } as const;

deployTargetContract('local platform', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-target-local-'));
  const target = new LocalPlatform({ dataDir: dir });
  await target.start();
  return {
    target,
    version: async (v) => ({ releaseId: `rel-${v}`, artifact: join(APP, 'versions', dirOf[v]), baseDir: dir }),
    async close() {
      await target.close();
      await removeDataDir(dir);
    },
  };
});

const haveNginx = existsSync('/usr/sbin/nginx');
describe.skipIf(!haveNginx)('(skipped where Debian nginx is not installed)', () => {
  deployTargetContract('nginx', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-target-nginx-'));
    const target = new NginxTarget({ dataDir: dir, healthTimeoutMs: 1500 });
    await target.start();
    const procs: ChildProcess[] = [];
    return {
      target,
      // nginx fronts processes Slipway does not start: the test starts the demo app itself.
      async version(v) {
        const port = await freePort();
        const env = { ...process.env, PORT: String(port), DEMO_VERSION: v === 'unhealthy' ? '1.4.0-unhealthy' : v, ...(v === 'unhealthy' ? { DEMO_UNHEALTHY: '1' } : {}) };
        const p = spawn(process.execPath, [join(APP, 'server.js')], { env, stdio: 'ignore' });
        procs.push(p);
        return { releaseId: `rel-${v}`, artifact: `127.0.0.1:${port}`, baseDir: dir };
      },
      async close() {
        await target.close();
        for (const p of procs) p.kill('SIGKILL');
        await removeDataDir(dir);
      },
    };
  });
});
