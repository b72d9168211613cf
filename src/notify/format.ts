/**
 * A notice as each kind of sink reads it. Slack: an incoming-webhook message, `text` (the
 * fallback notifications and screen readers use) plus Block Kit `blocks` (a header, fields,
 * and a button to the run). Generic webhook: the notice as JSON, with the delivery id and
 * the run's URL, for receivers that act on it.
 */
import type { Notice } from './notice.js';
import { artifactLine, shortId } from './notice.js';

/** Where a run is shown: the server's public URL (`--public-url`). */
export function runUrl(publicUrl: string | undefined, runId: string | undefined): string | undefined {
  return publicUrl && runId ? `${publicUrl.replace(/\/+$/, '')}/api/v1/runs/${encodeURIComponent(runId)}` : undefined;
}

export function webhookBody(n: Notice, deliveryId: string, publicUrl: string | undefined): string {
  const url = runUrl(publicUrl, n.runId);
  return JSON.stringify({
    type: 'sh.slipway.notification',
    delivery: deliveryId,
    topic: n.topic,
    project: n.project,
    time: new Date(n.at).toISOString(),
    title: n.title,
    stage: n.stage ?? null,
    release: n.release ?? null,
    runId: n.runId ?? null,
    runUrl: url ?? null,
    actors: n.actors,
    reason: n.reason ?? null,
    freeze: n.freeze ?? null,
    pr: n.pr ?? null,
    test: n.test === true,
  });
}

/** Slack caps: header text 150 characters, a field 2000, ten fields per section. */
const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackBody(n: Notice, publicUrl: string | undefined): string {
  const url = runUrl(publicUrl, n.runId);
  const fields: string[] = [`*Project*\n${esc(n.project)}`];
  if (n.stage) fields.push(`*Stage*\n${esc(n.stage)}`);
  if (n.release) {
    fields.push(`*Release*\n\`${esc(shortId(n.release.id))}\``);
    const a = artifactLine(n.release.artifacts);
    if (a) fields.push(`*Artifacts*\n${esc(a)}`);
    if (n.release.commit) fields.push(`*Commit*\n\`${esc(n.release.commit.slice(0, 12))}\``);
  }
  for (const [role, who] of byRole(n)) fields.push(`*${cap(role)} by*\n${esc(who)}`);
  if (n.freeze) fields.push(`*Window*\n${esc(n.freeze.window)} (${esc(n.freeze.timeZone)})`);
  if (n.pr?.environmentUrl) fields.push(`*Environment*\n<${n.pr.environmentUrl}|${esc(n.pr.environmentUrl)}>`);
  if (n.reason) fields.push(`*Why*\n${esc(n.reason)}`);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${n.test ? '[test] ' : ''}${n.title}`, 150), emoji: true } },
    { type: 'section', fields: fields.slice(0, 10).map((text) => ({ type: 'mrkdwn', text: cut(text, 2000) })) },
  ];
  const buttons: unknown[] = [];
  if (url) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url, action_id: 'open-run' });
  if (n.pr?.url) buttons.push({ type: 'button', text: { type: 'plain_text', text: `Pull request #${n.pr.number}` }, url: n.pr.url, action_id: 'open-pr' });
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  const actors = byRole(n).map(([role, who]) => `${role} by ${who}`);
  const text = [esc(`${n.test ? '[test] ' : ''}${n.title}`), esc(actors.join('; ')), url ?? ''].filter(Boolean).join(' · ');
  return JSON.stringify({ text, blocks });
}

/** `[['approved', 'alice, bob'], …]`: one line per role. */
function byRole(n: Notice): [string, string][] {
  const m = new Map<string, string[]>();
  for (const a of n.actors) m.set(a.role, [...(m.get(a.role) ?? []), a.who]);
  return [...m].map(([role, who]) => [role, who.join(', ')]);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
