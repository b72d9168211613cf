/**
 * `slipway hooks` as a CI job would run it (the real command, a child process): `send`
 * signs the generic webhook with the secret from an environment variable and takes the
 * commit time from git; `deliveries` lists what arrived; a wrong secret fails with the
 * server's reason; `watcher` tells when a project is not watched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookServer } from '../triggers/support/hook-server.js';
import { SECRET, TOKEN, removeDir, startHookServer, tempDir } from '../triggers/support/hook-server.js';
import { makeRepo, type Repo } from '../triggers/support/git-repo.js';
import { slipway } from './support/slipway-process.js';

const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [backend]
  webhook: {secret: '\${secret:SHOP_HOOK}'}
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
`;

let dir: string;
let s: HookServer;
let repo: Repo;

beforeAll(async () => {
  dir = await tempDir();
  repo = makeRepo(dir);
  s = await startHookServer({ dir: `${dir}/data`, pipelines: [SHOP] });
});
afterAll(async () => {
  await s.stop();
  await removeDir(dir);
});

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const c = slipway(['--server', s.url, ...args], repo.work, { SLIPWAY_TOKEN: TOKEN, ...env });
  const { code } = await c.exited;
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('slipway hooks', () => {
  let answer: { status: number; releaseId: string; runId: string };
  let sha: string;

  it('send signs the artifact webhook; the release carries the commit time git knows', async () => {
    sha = repo.commit('feature', '2026-04-01T08:00:00Z', 'Ada');
    const r = await run(['hooks', 'send', '--project', 'shop', '--artifact', 'backend=registry.example/backend:2.0.0', '--commit', sha, '--first-commit-time', '2026-03-30T09:15:00Z', '--author', 'Ada', '--delivery', 'ci-build-41', '--json'], { SLIPWAY_WEBHOOK_SECRET: SECRET });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    answer = JSON.parse(r.out) as { status: number; releaseId: string; runId: string };
    expect(answer.status).toBe(202);
    expect((await s.slipway.store.getRelease(answer.releaseId))?.provenance).toMatchObject({ source: 'webhook', commit: sha, commitTime: Date.parse('2026-04-01T08:00:00Z'), author: 'Ada' });
  });

  it('release show prints the provenance: commit time and first commit time', async () => {
    const show = await run(['release', 'show', answer.releaseId, '--project', 'shop']);
    expect(show.out).toMatch(/backend\s+registry\.example\/backend:2\.0\.0/);
    expect(show.out).toMatch(/commit time:\s+2026-04-01T08:00:00Z/);
    expect(show.out).toMatch(/first commit time:\s+2026-03-30T09:15:00Z/);
    expect(show.out).toMatch(/source:\s+webhook/);
  });

  it('send with the same delivery again (a CI retry) is answered with the same release, nothing new', async () => {
    const again = await run(['hooks', 'send', '--project', 'shop', '--artifact', 'backend=registry.example/backend:2.0.0', '--commit', sha, '--delivery', 'ci-build-41'], { SLIPWAY_WEBHOOK_SECRET: SECRET });
    expect(again.out).toMatch(new RegExp(`delivered before: ci-build-41 → release ${answer.releaseId}, run ${answer.runId}`));
    expect(await s.slipway.store.listRuns({ project: 'shop', limit: 10 })).toHaveLength(1);
  });

  it('a wrong secret fails with the reason the server gave', async () => {
    const r = await run(['hooks', 'send', '--project', 'shop', '--artifact', 'backend=b:3', '--commit', 'abc', '--commit-time', '2026-04-01T08:00:00Z'], { SLIPWAY_WEBHOOK_SECRET: 'wrong' });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/401 BAD_SIGNATURE.*X-Slipway-Signature does not match/);
    const none = await run(['hooks', 'send', '--project', 'shop', '--artifact', 'backend=b:3', '--commit', 'abc', '--commit-time', '1'], { SLIPWAY_WEBHOOK_SECRET: '' });
    expect(none.err).toMatch(/SLIPWAY_WEBHOOK_SECRET/);
  });

  it('deliveries lists them', async () => {
    const r = await run(['hooks', 'deliveries', '--project', 'shop']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SOURCE\s+EVENT\s+DELIVERY\s+OUTCOME\s+RELEASE\s+RUN/);
    expect(r.out).toMatch(/artifact\s+artifact\s+ci-build-41\s+released 202\s+rel-/);
  });

  it('watcher says when a project is not watched', async () => {
    const w = await run(['hooks', 'watcher', '--project', 'shop']);
    expect(w.out).toMatch(/project shop is not watched/);
  });
});
