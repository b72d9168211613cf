/**
 * The generic artifact webhook over real HTTP: a signed delivery makes a release that
 * enters the first stage, with its provenance (commit, commit time, first commit time,
 * author); each way a delivery can be wrong gets its own answer, and after each the store
 * holds exactly what it should (no release, run or delivery half-written).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signArtifact } from '../../src/triggers/index.js';
import type { HookServer } from '../triggers/support/hook-server.js';
import { SECRET, removeDir, startHookServer, tempDir } from '../triggers/support/hook-server.js';

const SHOP = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  webhook: {secret: '\${secret:SHOP_HOOK}'}
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
    - name: prod
      promotion: manual
      tasks: [{name: deploy, kind: noop}]
`;
const NOHOOK = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: quiet}
spec:
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
`;
const UNSET = NOHOOK.replace('name: quiet', 'name: unset').replace('spec:\n', "spec:\n  webhook: {secret: '${secret:NOT_SET_ANYWHERE}'}\n");

let dir: string;
let s: HookServer;

beforeAll(async () => {
  dir = await tempDir();
  s = await startHookServer({ dir, pipelines: [SHOP, NOHOOK, UNSET] });
});
afterAll(async () => {
  await s.stop();
  await removeDir(dir);
});

interface Sent {
  status: number;
  body: Record<string, unknown>;
}

async function send(project: string, payload: unknown, o: { secret?: string; ts?: number; delivery?: string; raw?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
  const body = o.raw ?? JSON.stringify(payload);
  const ts = o.ts ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${s.url}/api/v1/hooks/${project}/artifact`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slipway-timestamp': String(ts),
      'x-slipway-delivery': o.delivery ?? randomUUID(),
      'x-slipway-signature': signArtifact(o.secret ?? SECRET, ts, body),
      ...o.headers,
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const payload = (version: string) => ({
  artifacts: { backend: `registry.example/backend:${version}` },
  commit: `c0ffee${version.replace(/\./g, '')}`.padEnd(40, '0'),
  commitTime: '2026-04-01T10:00:00Z',
  firstCommitTime: '2026-03-30T08:30:00Z',
  author: 'Ada',
});

describe('the generic artifact webhook', () => {
  it('a signed delivery makes a release in the first stage, with commit, commit time, first commit time and author', async () => {
    const before = await s.counts('shop');
    const r = await send('shop', payload('1.0.0'));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ outcome: 'released', duplicate: false });
    const { releaseId, runId } = r.body as { releaseId: string; runId: string };
    const run = await s.slipway.store.getRun(runId);
    expect(run?.stage).toBe('dev');
    // Set off by automation: freeze windows with appliesTo: automation hold it.
    expect(run?.origin).toBe('automation');
    expect(run?.triggeredBy).toBe('webhook:artifact');
    const release = await fetch(`${s.url}/api/v1/projects/shop/releases/${releaseId}`).then((x) => x.json() as Promise<{ provenance: Record<string, unknown> }>);
    expect(release.provenance).toMatchObject({
      source: 'webhook',
      commit: payload('1.0.0').commit,
      commitTime: Date.parse('2026-04-01T10:00:00Z'),
      firstCommitTime: Date.parse('2026-03-30T08:30:00Z'),
      author: 'Ada',
    });
    expect(await s.counts('shop')).toEqual({ releases: before.releases + 1, runs: before.runs + 1, deliveries: before.deliveries + 1 });
  });

  it('a delivery sent again answers 200 with the same ids and creates nothing', async () => {
    const delivery = randomUUID();
    const first = await send('shop', payload('1.1.0'), { delivery });
    expect(first.status).toBe(202);
    const after = await s.counts('shop');
    const again = await send('shop', payload('1.1.0'), { delivery });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ releaseId: first.body['releaseId'], runId: first.body['runId'], duplicate: true });
    // Even with another body: the id decides, and nothing is created.
    const other = await send('shop', payload('9.9.9'), { delivery });
    expect(other.status).toBe(200);
    expect(other.body['releaseId']).toBe(first.body['releaseId']);
    expect(await s.counts('shop')).toEqual(after);
  });

  it('two copies of one delivery sent at once make one release', async () => {
    const delivery = randomUUID();
    const before = await s.counts('shop');
    const [a, b] = await Promise.all([send('shop', payload('1.2.0'), { delivery }), send('shop', payload('1.2.0'), { delivery })]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body['runId']).toBe(b.body['runId']);
    expect(await s.counts('shop')).toEqual({ releases: before.releases + 1, runs: before.runs + 1, deliveries: before.deliveries + 1 });
  });

  it('a wrong signature is 401 BAD_SIGNATURE and writes nothing', async () => {
    const before = await s.counts('shop');
    const r = await send('shop', payload('2.0.0'), { secret: 'not-the-secret' });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'BAD_SIGNATURE', field: 'x-slipway-signature' });
    // A body changed after signing is the same as a wrong signature.
    const ts = Math.floor(Date.now() / 1000);
    const signed = JSON.stringify(payload('2.0.0'));
    const tampered = await send('shop', undefined, { raw: signed.replace('2.0.0', '2.0.1'), ts, headers: { 'x-slipway-signature': signArtifact(SECRET, ts, signed) } });
    expect(tampered.status).toBe(401);
    const unsigned = await send('shop', payload('2.0.0'), { headers: { 'x-slipway-signature': '' } });
    expect(unsigned.status).toBe(401);
    expect(await s.counts('shop')).toEqual(before);
  });

  it('a timestamp more than 5 minutes off is 401 STALE_WEBHOOK, even correctly signed', async () => {
    const before = await s.counts('shop');
    const old = await send('shop', payload('3.0.0'), { ts: Math.floor(Date.now() / 1000) - 301 });
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ code: 'STALE_WEBHOOK' });
    expect(String(old.body['message'])).toMatch(/in the past/);
    const future = await send('shop', payload('3.0.0'), { ts: Math.floor(Date.now() / 1000) + 400 });
    expect(future.status).toBe(401);
    expect(await s.counts('shop')).toEqual(before);
  });

  it('an unknown project is 404, a project without a webhook secret 409, each with a message that says what to do', async () => {
    const unknown = await send('nosuch', payload('4.0.0'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_PROJECT' });
    const quiet = await send('quiet', payload('4.0.0'));
    expect(quiet.status).toBe(409);
    expect(quiet.body).toMatchObject({ code: 'WEBHOOK_NOT_CONFIGURED' });
    expect(String(quiet.body['message'])).toMatch(/spec\.webhook/);
    const unset = await send('unset', payload('4.0.0'));
    expect(unset.status).toBe(409);
    expect(String(unset.body['message'])).toMatch(/slipway secret set NOT_SET_ANYWHERE/);
    for (const p of ['quiet', 'unset']) expect(await s.counts(p)).toEqual({ releases: 0, runs: 0, deliveries: 0 });
  });

  it('an unmappable payload (a service the project does not have) is refused: the delivery is recorded as rejected, no release or run', async () => {
    const before = await s.counts('shop');
    const delivery = randomUUID();
    const r = await send('shop', { ...payload('5.0.0'), artifacts: { mailer: 'registry.example/mailer:1' } }, { delivery });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'UNKNOWN_SERVICE' });
    expect(await s.counts('shop')).toEqual({ releases: before.releases, runs: before.runs, deliveries: before.deliveries + 1 });
    const row = await s.slipway.store.getDelivery('shop', 'artifact', delivery);
    expect(row).toMatchObject({ outcome: 'rejected', status: 400 });
    expect(row?.releaseId).toBeUndefined();
  });

  it('an invalid body is 400 INVALID_INPUT naming the field; commit times in seconds are caught', async () => {
    const before = await s.counts('shop');
    const missing = await send('shop', { artifacts: { backend: 'b:1' }, commitTime: 1_775_000_000_000 });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'INVALID_INPUT', field: 'commit' });
    const seconds = await send('shop', { ...payload('6.0.0'), commitTime: 1_775_000_000 });
    expect(seconds.status).toBe(400);
    expect(String(seconds.body['message'])).toMatch(/milliseconds/);
    const notJson = await send('shop', undefined, { raw: '{"artifacts":' });
    expect(notJson.status).toBe(400);
    const after = await s.counts('shop');
    expect({ releases: after.releases, runs: after.runs }).toEqual({ releases: before.releases, runs: before.runs });
  });

  it('the deliveries are listed newest first with their outcome and ids', async () => {
    const res = await fetch(`${s.url}/api/v1/projects/shop/hooks/deliveries?limit=100`);
    expect(res.status).toBe(200);
    const { deliveries } = (await res.json()) as { deliveries: { outcome: string; source: string; releaseId?: string }[] };
    expect(deliveries.length).toBe((await s.counts('shop')).deliveries);
    expect(deliveries.every((d) => d.source === 'artifact')).toBe(true);
    expect(deliveries.filter((d) => d.outcome === 'released').every((d) => d.releaseId)).toBe(true);
    expect(deliveries.some((d) => d.outcome === 'rejected')).toBe(true);
  });
});
