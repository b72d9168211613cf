/** Message shapes, without I/O: Slack blocks for each kind of notice, the webhook body, the signature headers. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Notice } from '../../src/notify/index.js';
import { freezeNotices, runUrl, slackBody, webhookBody, webhookHeaders } from '../../src/notify/index.js';

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: { type: string; url: string; text: { text: string } }[];
}
const slack = (n: Notice, url?: string) => JSON.parse(slackBody(n, url)) as { text: string; blocks: Block[] };

const failed: Notice = {
  id: 'ev-1',
  topic: 'run.failed',
  project: 'shop',
  at: Date.UTC(2026, 2, 27, 15, 2, 11),
  title: 'Release rel-0123456789abcdef failed in production',
  stage: 'production',
  release: { id: 'rel-0123456789abcdef0011', artifacts: { web: 'registry/web:1.2.0', api: 'registry/api:3.1.0' }, commit: '0123456789abcdef0123' },
  runId: 'run-42',
  actors: [
    { role: 'triggered', who: 'token:alice' },
    { role: 'approved', who: 'token:bob' },
    { role: 'approved', who: 'token:carol' },
  ],
  reason: 'smoke: <script> exited 1 & more',
};

describe('Slack messages', () => {
  it('a failed run: header, fields naming release, artifacts, commit and who acted, a button to the run', () => {
    const m = slack(failed, 'https://slipway.example.com/');
    expect(m.text).toBe('Release rel-0123456789abcdef failed in production · triggered by token:alice; approved by token:bob, token:carol · https://slipway.example.com/api/v1/runs/run-42');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
    expect(m.blocks[0]!.text).toEqual({ type: 'plain_text', text: 'Release rel-0123456789abcdef failed in production', emoji: true });
    expect(m.blocks[1]!.fields!.map((f) => f.text)).toEqual([
      '*Project*\nshop',
      '*Stage*\nproduction',
      '*Release*\n`rel-0123456789ab`',
      '*Artifacts*\nweb=registry/web:1.2.0, api=registry/api:3.1.0',
      '*Commit*\n`0123456789ab`',
      '*Triggered by*\ntoken:alice',
      '*Approved by*\ntoken:bob, token:carol',
      '*Why*\nsmoke: &lt;script&gt; exited 1 &amp; more',
    ]);
    expect(m.blocks[2]!.elements).toEqual([{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: 'https://slipway.example.com/api/v1/runs/run-42', action_id: 'open-run' }]);
  });

  it('a freeze notice has no run to link: no actions block; the header stays within Slack\'s 150 characters', () => {
    const window = { name: 'x'.repeat(200), stages: ['production'], appliesTo: 'everyone' as const, timeZone: 'Europe/Berlin', when: { kind: 'dated' as const, from: '2026-12-20T00:00', to: '2027-01-04T00:00' } };
    const [started] = freezeNotices('shop', [window], Date.UTC(2026, 11, 19), Date.UTC(2026, 11, 21));
    const m = slack(started!, 'https://slipway.example.com');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section']);
    expect(m.blocks[0]!.text!.text).toHaveLength(150);
    expect(m.blocks[1]!.fields!.map((f) => f.text)).toContain(`*Window*\n${'x'.repeat(200)} (Europe/Berlin)`);
  });

  it('without a public URL there is no link at all', () => {
    expect(runUrl(undefined, 'run-1')).toBeUndefined();
    expect(slack(failed).blocks.map((b) => b.type)).toEqual(['header', 'section']);
  });
});

describe('webhook bodies', () => {
  it('carry the delivery id, the notice and the run URL; headers sign "<timestamp>.<body>" with sha256=', () => {
    const body = webhookBody(failed, 'shop/audit/ev-1', 'https://slipway.example.com');
    expect(JSON.parse(body)).toMatchObject({ type: 'sh.slipway.notification', delivery: 'shop/audit/ev-1', topic: 'run.failed', time: '2026-03-27T15:02:11.000Z', runUrl: 'https://slipway.example.com/api/v1/runs/run-42', test: false });
    const h = webhookHeaders('k'.repeat(32), body, 'shop/audit/ev-1', Date.UTC(2026, 2, 27, 15, 2, 11, 999));
    expect(h['x-slipway-timestamp']).toBe(String(Date.UTC(2026, 2, 27, 15, 2, 11) / 1000));
    expect(h['x-slipway-delivery']).toBe('shop/audit/ev-1');
    expect(h['x-slipway-signature']).toBe(`sha256=${createHmac('sha256', 'k'.repeat(32)).update(`${h['x-slipway-timestamp']}.${body}`).digest('hex')}`);
  });
});
