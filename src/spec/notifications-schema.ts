/**
 * `spec.notifications` in slipway.yaml: where people hear about releases. A Slack incoming
 * webhook's URL is itself the credential, so it is accepted only as a `${secret:NAME}`
 * reference; a generic webhook may name a plain URL (without user:password in it) and signs
 * with a secret given by reference. Stage names are checked against the pipeline's stages, so
 * each error names its file:line:col and field.
 */
import { z } from 'zod';
import type { NotificationSinkSpec, SourceRef } from '../core/index.js';
import { NOTIFICATION_TOPICS } from '../core/index.js';
import { name, strict } from './fields.js';
import type { Path } from './problems.js';
import { list, show } from './problems.js';

const REFERENCE = /^\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}$/;

const reference = (example: string) =>
  z
    .string({ error: (iss) => `expected a secret reference such as '\${secret:${example}}', got ${show(iss.input)}` })
    .regex(REFERENCE, { error: (iss) => `${show(iss.input)} is not a secret reference; write '\${secret:${example}}' and set it with \`slipway secret set ${example}\` (docs/secrets.md)` });

const plainUrl = z.string({ error: (iss) => `expected an http(s) URL or a secret reference, got ${show(iss.input)}` }).check((ctx) => {
  if (REFERENCE.test(ctx.value)) return;
  let u: URL;
  try {
    u = new URL(ctx.value);
  } catch {
    ctx.issues.push({ code: 'custom', message: `${show(ctx.value)} is not a URL; write http(s)://host/path or '\${secret:NAME}'`, input: ctx.value });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.issues.push({ code: 'custom', message: `${show(ctx.value)}: only http and https URLs can receive notifications`, input: ctx.value });
  else if (u.username !== '' || u.password !== '') {
    ctx.issues.push({ code: 'custom', message: 'the URL carries credentials (user:password@); put the whole URL in a secret and write \'${secret:NAME}\'', input: '[hidden]' });
  }
});

const topic = z.enum(NOTIFICATION_TOPICS, { error: (iss) => `${show(iss.input)} is not a notification topic; topics: ${NOTIFICATION_TOPICS.join(', ')}` });

export const notificationSchema = strict({
  name: name('notification sink').meta({ description: 'Unique within the pipeline; `slipway notifications test NAME` and the status name it.' }),
  slack: strict({
    url: reference('SLACK_URL').meta({ description: "The Slack incoming-webhook URL, as '${secret:NAME}' (the URL is the credential)." }),
  })
    .optional()
    .meta({ description: 'A Slack-compatible incoming webhook: JSON with text and blocks.' }),
  webhook: strict({
    url: plainUrl.meta({ description: "Where the signed JSON goes: an http(s) URL, or '${secret:NAME}' when the URL itself is secret." }),
    secret: reference('HOOK_SECRET').meta({ description: 'The HMAC-SHA256 key deliveries are signed with (X-Slipway-Signature), as a reference.' }),
  })
    .optional()
    .meta({ description: 'A generic webhook: a JSON body signed as the artifact webhook is.' }),
  on: z.array(topic).min(1, { error: `list at least one topic: ${NOTIFICATION_TOPICS.join(', ')}` }).meta({ description: 'What this sink hears about.' }),
  stages: z.array(name('stage')).min(1).optional().meta({ description: 'Only notifications about these stages (freeze windows: those holding one of them); absent: all.' }),
})
  .check((ctx) => {
    const n = ctx.value;
    if ((n.slack === undefined) === (n.webhook === undefined)) {
      ctx.issues.push({ code: 'custom', message: 'needs exactly one of slack: {url} or webhook: {url, secret}', input: n, path: [] });
    }
  })
  .meta({ id: 'Notification', description: 'A notification sink: Slack or a signed webhook, with the topics it hears about.' });

export type SlipwayNotification = z.output<typeof notificationSchema>;

/** Problems for names used twice and stages the pipeline does not define. */
export function notificationProblems(sinks: readonly SlipwayNotification[], stages: readonly string[]): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const seen = new Map<string, number>();
  sinks.forEach((n, i) => {
    const first = seen.get(n.name);
    if (first !== undefined) out.push({ path: [i, 'name'], message: `notification sink '${n.name}' is defined twice (first at notifications[${first}]); names must be unique` });
    else seen.set(n.name, i);
    (n.stages ?? []).forEach((s, j) => {
      if (!stages.includes(s)) out.push({ path: [i, 'stages', j], message: `stage '${s}' is not defined; defined stages: ${list(stages)}` });
    });
  });
  return out;
}

export function mapNotification(n: SlipwayNotification, source: SourceRef): NotificationSinkSpec {
  const common = { name: n.name, on: [...new Set(n.on)], ...(n.stages ? { stages: n.stages } : {}), source };
  if (n.slack) return { ...common, kind: 'slack', url: n.slack.url };
  return { ...common, kind: 'webhook', url: n.webhook!.url, secret: n.webhook!.secret };
}
