/**
 * examples/replicas/nginx.conf for real: Debian's nginx in front of three replicas (only the
 * ports changed). Releases triggered through nginx run; after the active replica is killed
 * with -9, requests through nginx are answered (503 NO_ACTIVE_REPLICA with Retry-After while
 * the lease runs out, then by the new active replica) and a release triggered then completes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgSkipNote, pgSkipReason, type TestDatabase } from '../support/postgres.js';
import { PROJECT, activeReplica, allSucceeded, call, startReplica, stopReplica, until, writeProject, type Replica } from './replicas-cluster.js';

const NGINX = '/usr/sbin/nginx';
const skip = pgSkipReason() ?? (existsSync(NGINX) ? undefined : `no ${NGINX} (Debian package nginx)`);

let dir: string | undefined;
let db: TestDatabase | undefined;
let nginx: ChildProcess | undefined;
const replicas: Replica[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(skip !== undefined)(`replicas behind nginx (examples/replicas/nginx.conf) ${skip ? `(skipped: ${skip})` : pgSkipNote()}`, () => {
  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await Promise.all(replicas.map(stopReplica));
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('releases go through nginx to whichever replica is active, across a kill -9 of the active one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-nginx-replicas-'));
    db = await createTestDatabase();
    await writeProject(dir, 0.1, 0.1);
    for (const name of ['A', 'B', 'C']) replicas.push(await startReplica(dir, name, db.url, 1_500));
    // The example, with this run's ports.
    let conf = await readFile(new URL('../../examples/replicas/nginx.conf', import.meta.url), 'utf8');
    replicas.forEach((r, i) => (conf = conf.replace(`127.0.0.1:${7301 + i}`, r.url.replace('http://', ''))));
    const port = await freePort();
    conf = conf.replace('listen 127.0.0.1:7300;', `listen 127.0.0.1:${port};`);
    const prefix = join(dir, 'nginx');
    await mkdir(join(prefix, 'tmp'), { recursive: true });
    await writeFile(join(prefix, 'nginx.conf'), conf);
    // As root, workers would drop to `nobody` and could not use the prefix's temp directories.
    const globals = `daemon off;${process.getuid?.() === 0 ? ' user root;' : ''}`;
    nginx = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', globals], { stdio: 'ignore' });
    const lb = `http://127.0.0.1:${port}`;
    await until('nginx to answer', async () => ((await fetch(`${lb}/healthz`)).ok ? true : undefined), 20_000, () => '');

    const trigger = (i: number) =>
      until(`release ${i} accepted through nginx`, async () => {
        const a = await call<{ releaseId?: string; code?: string }>(lb, `/api/v1/projects/${PROJECT}/releases`, { method: 'POST', body: { artifacts: { web: `web:${i}` } } });
        // nginx could not reach the killed replica (a POST is not passed on to the next one): it never arrived; send again.
        if (a.status === 502) return undefined;
        if (a.status === 503) {
          // Only between the death and the takeover, and saying so.
          expect(a.body.code).toBe('NO_ACTIVE_REPLICA');
          expect(a.headers.get('retry-after')).toBe('1');
          return undefined;
        }
        expect(a.status).toBe(201);
        return a.body.releaseId;
      });
    for (let i = 0; i < 3; i++) await trigger(i);
    await allSucceeded(replicas, 6);

    const first = await activeReplica(replicas);
    first.child.proc.kill('SIGKILL');
    await first.child.exited;
    for (let i = 3; i < 6; i++) await trigger(i);
    const rest = replicas.filter((r) => r !== first);
    await allSucceeded(rest, 12);
    expect((await activeReplica(rest)).name).not.toBe(first.name);
  }, 180_000);
});
