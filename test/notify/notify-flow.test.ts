/**
 * Notifications through the real composition root (real SQLite, real engine) to real HTTP
 * receivers on 127.0.0.1: what a webhook sink and a Slack sink hear, in order, over a
 * release that reaches a stage, waits for approval, is approved, a second one that is
 * rejected (run failed), and a rollback; signatures a receiver can verify; message shapes.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/main.js';
import { waitForRunFinished, waitForTaskWaiting } from '../e2e/support/wait.js';
import { startReceiver, until, type Receiver } from './receiver.js';
import { storeOptionFor } from '../e2e/support/e2e-store.js';

const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function shop(hook: string, slackPath: string): string {
  return `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks: [{name: deploy, kind: noop}]
    - name: production
      tasks:
        - {name: approval, kind: approval, properties: {pass: manual}}
        - {name: deploy, kind: noop}
  notifications:
    - name: hook
      webhook: {url: '${hook}', secret: '\${secret:HOOK_SECRET}'}
      on: [run.failed, approval.waiting, rollback, stage.reached]
    - name: chat
      slack: {url: '\${secret:${slackPath}}'}
      on: [approval.waiting, run.failed]
      stages: [production]
`;
}

async function open(env: Record<string, string>): Promise<{ sw: Slipway; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-notify-'));
  const sw = await openSlipway({ dataDir: dir, ...(await storeOptionFor(dir)), env, notify: { baseDelayMs: 50 } });
  cleanup.push(async () => {
    await sw.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { sw, dir };
}

async function receiver(answers?: (number | 'hang')[]): Promise<Receiver> {
  const r = await startReceiver(answers);
  cleanup.push(() => r.close());
  return r;
}

describe('notifications over a release', () => {
  it('a webhook sink and a Slack sink hear what they subscribed to, in order, signed, naming the release, its artifacts and who acted', async () => {
    const hook = await receiver();
    const slack = await receiver();
    const { sw, dir } = await open({ SLIPWAY_SECRET_HOOK_SECRET: HOOK_SECRET, SLIPWAY_SECRET_SLACK_URL: `${slack.url}/services/T0/B0/xyz` });
    sw.notifier.setPublicUrl('https://slipway.example.com/');
    await sw.addPipelineText(shop(`${hook.url}/notify`, 'SLACK_URL'), 'slipway.yaml', dir);
    const { engine } = sw;

    // Each release goes through dev, waits for approval in production, and bob decides.
    const release = async (tag: string, version: string, decision: 'approve' | 'reject', commit?: string): Promise<string> => {
      const waiting = waitForTaskWaiting(sw, 'production', 'approval');
      const t = await engine.apply({ type: 'trigger', id: `t-${tag}`, project: 'shop', artifacts: { web: `registry/web:${version}` }, ...(commit ? { provenance: { commit } } : {}), by: 'token:alice' });
      const id = t.value!.releaseId!;
      await waiting;
      const prod = waitForRunFinished(sw, { stage: 'production', releaseId: id });
      await engine.apply({ type: 'release.approval', id: `ap-${tag}`, releaseId: id, stage: 'production', decision, by: 'token:bob' });
      expect((await prod).state).toBe(decision === 'approve' ? 'succeeded' : 'failed');
      return id;
    };
    const a = await release('a', '1.0.0', 'approve', 'abc123def4567890');
    const b = await release('b', '1.1.0', 'approve');
    // carol puts A back into production (its run asks for approval again); then C is rejected there (its run fails).
    const rollbackWaits = waitForTaskWaiting(sw, 'production', 'approval');
    const back = waitForRunFinished(sw, { stage: 'production', releaseId: a });
    await engine.apply({ type: 'rollback', id: 'rb', project: 'shop', stage: 'production', to: a, reason: 'B is broken', by: 'token:carol' });
    await rollbackWaits;
    await engine.apply({ type: 'release.approval', id: 'ap-rb', releaseId: a, stage: 'production', decision: 'approve', by: 'token:bob' });
    expect((await back).state).toBe('succeeded');
    // A rollback by hand holds automatic promotion into production until someone resumes it.
    await engine.apply({ type: 'promotion.resume', id: 'resume', project: 'shop', stage: 'production', reason: 'A is back; C may come', by: 'token:carol' });
    const c = await release('c', '1.2.0', 'reject');
    const name = (id: string) => (id === a ? 'A' : id === b ? 'B' : id === c ? 'C' : id);

    const got = await hook.waitFor(11);
    const seen = got.map((g) => `${String(g.body['topic'])} ${String(g.body['stage'])} ${name((g.body['release'] as { id: string }).id)}`);
    expect(seen).toEqual([
      'stage.reached dev A',
      'approval.waiting production A',
      'stage.reached production A',
      'stage.reached dev B',
      'approval.waiting production B',
      'stage.reached production B',
      'rollback production A',
      'approval.waiting production A',
      'stage.reached dev C',
      'approval.waiting production C',
      'run.failed production C',
    ]);

    // Every delivery is signed as the artifact webhook is, and its id is unique.
    for (const g of got) {
      const ts = String(g.headers['x-slipway-timestamp']);
      expect(ts).toMatch(/^\d{10}$/);
      const expected = `sha256=${createHmac('sha256', HOOK_SECRET).update(`${ts}.${g.raw}`).digest('hex')}`;
      expect(g.headers['x-slipway-signature']).toBe(expected);
      expect(g.headers['x-slipway-delivery']).toBe(g.body['delivery']);
    }
    expect(new Set(got.map((g) => g.headers['x-slipway-delivery'])).size).toBe(11);

    const reached = got[2]!.body;
    expect(reached).toMatchObject({
      type: 'sh.slipway.notification',
      project: 'shop',
      release: { id: a, artifacts: { web: 'registry/web:1.0.0' }, commit: 'abc123def4567890' },
      actors: [{ role: 'triggered', who: 'token:alice' }, { role: 'approved', who: 'token:bob' }],
    });
    expect(reached['runUrl']).toMatch(/^https:\/\/slipway\.example\.com\/api\/v1\/runs\/run-/);
    expect(got[6]!.body).toMatchObject({ topic: 'rollback', release: { id: a }, actors: [{ role: 'rolled back', who: 'token:carol' }], reason: 'B is broken' });
    expect(got[10]!.body).toMatchObject({ topic: 'run.failed', release: { id: c, artifacts: { web: 'registry/web:1.2.0' } }, actors: [{ role: 'triggered', who: 'token:alice' }, { role: 'rejected', who: 'token:bob' }] });
    expect(got[10]!.body['reason']).toMatch(/^approval: /);

    // Slack: only production, only its two topics; incoming-webhook JSON with text and blocks.
    const chat = await slack.waitFor(5);
    expect(new Set(chat.map((x) => x.path))).toEqual(new Set(['/services/T0/B0/xyz']));
    expect(chat.map((x) => (x.body['text'] as string).split(' · ')[0])).toEqual([
      `Release ${a.slice(0, 16)} waits for approval in production`,
      `Release ${b.slice(0, 16)} waits for approval in production`,
      `Release ${a.slice(0, 16)} waits for approval in production`,
      `Release ${c.slice(0, 16)} waits for approval in production`,
      `Release ${c.slice(0, 16)} failed in production`,
    ]);
    const blocks = chat[4]!.body['blocks'] as { type: string; text?: { text: string }; fields?: { type: string; text: string }[]; elements?: { type: string; url: string }[] }[];
    expect(blocks.map((x) => x.type)).toEqual(['header', 'section', 'actions']);
    expect(blocks[0]!.text!.text).toContain('failed in production');
    const fields = blocks[1]!.fields!.map((f) => f.text);
    expect(fields).toContain('*Artifacts*\nweb=registry/web:1.2.0');
    expect(fields).toContain('*Triggered by*\ntoken:alice');
    expect(blocks[2]!.elements![0]).toMatchObject({ type: 'button', url: expect.stringMatching(/^https:\/\/slipway\.example\.com\/api\/v1\/runs\//) });

    // Nothing more arrives, and the status counts what went out.
    const status = await until('every delivery recorded', async () => {
      const s = await sw.notifier.status('shop');
      return s.every((x) => x.pending === 0) ? s : undefined;
    });
    expect(status.map((s) => [s.sink, s.delivered, s.pending, s.failed, s.failingSince])).toEqual([
      ['chat', 5, 0, 0, null],
      ['hook', 11, 0, 0, null],
    ]);
    expect(hook.got).toHaveLength(11);
  });

  it('a sink answering 500 gets the same delivery again after a backoff and counts it delivered once it answers 200', async () => {
    const hook = await receiver([500, 500, 200]);
    const { sw, dir } = await open({ SLIPWAY_SECRET_HOOK_SECRET: HOOK_SECRET, SLIPWAY_SECRET_SLACK_URL: 'http://127.0.0.1:9/unused' });
    await sw.addPipelineText(shop(`${hook.url}/notify`, 'SLACK_URL'), 'slipway.yaml', dir);
    const done = waitForRunFinished(sw, { stage: 'dev' });
    await sw.engine.apply({ type: 'trigger', id: 't', project: 'shop', artifacts: { web: 'web:1' }, by: 'token:alice' });
    await done;
    // The first notice (dev reached) is tried three times; the next (approval waiting) waits its turn.
    const got = await hook.waitFor(4);
    const ids = got.map((g) => g.headers['x-slipway-delivery']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[1]).toBe(ids[2]);
    expect(ids[3]).not.toBe(ids[0]);
    expect(got.map((g) => g.body['topic'])).toEqual(['stage.reached', 'stage.reached', 'stage.reached', 'approval.waiting']);
    const hookStatus = await until('both deliveries to be recorded', async () => (await sw.notifier.status('shop')).find((s) => s.sink === 'hook' && s.delivered === 2));
    expect(hookStatus).toMatchObject({ pending: 0, failed: 0, failingSince: null });
    const [row] = await sw.store.notifications({ project: 'shop', sink: 'hook', limit: 1 });
    expect(row).toMatchObject({ id: ids[0], state: 'delivered', attempts: 3, lastError: 'HTTP 500' });
  });
});
