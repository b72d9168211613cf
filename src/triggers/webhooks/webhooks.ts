/**
 * The three webhook doors of a project (artifact, GitHub, GitLab): find the project and
 * its secret, verify the sender over the raw body, then hand the delivery to the intake
 * with a plan that maps the payload. Nothing is recorded for a request that fails before
 * its signature is verified: anyone could send those.
 */
import type { Logger } from 'pino';
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Clock, Engine, SecretResolver } from '../../engine/index.js';
import type { DeliveryFilter, DeliveryRow, Store } from '../../store/index.js';
import type { PullRequestSink } from '../pull-request-event.js';
import { artifactPlan, parseArtifactHook } from './artifact.js';
import { githubPlan } from './github.js';
import { gitlabPlan } from './gitlab.js';
import type { IntakeAnswer } from './intake.js';
import { Intake } from './intake.js';
import { verifyArtifact, verifyGitHub, verifyGitLab } from './signature.js';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export interface WebhooksDeps {
  engine: Pick<Engine, 'submit' | 'pipeline'>;
  store: Store;
  clock: Clock;
  log: Logger;
  secrets: Pick<SecretResolver, 'resolve'>;
  /** The pull-request environments; absent: pull and merge requests are answered and left alone. */
  pullRequests?: PullRequestSink;
}

export class Webhooks {
  readonly intake: Intake;
  private pullRequests: PullRequestSink | undefined;

  constructor(private readonly deps: WebhooksDeps) {
    this.intake = new Intake(deps);
    this.pullRequests = deps.pullRequests;
  }

  /** Wires the pull-request environments in once they exist (they need the engine these webhooks also use). */
  usePullRequests(sink: PullRequestSink | undefined): void {
    this.pullRequests = sink;
  }

  /** `json`: the body already parsed (the API parses it as it arrives); absent: parsed here from `raw`. */
  async artifact(project: string, headers: Headers, raw: Buffer, json: unknown = parseJson(raw)): Promise<IntakeAnswer> {
    const { pipeline, secret } = this.door(project);
    verifyArtifact(secret, { timestamp: one(headers, 'x-slipway-timestamp'), signature: one(headers, 'x-slipway-signature') }, raw, this.deps.clock.now());
    const id = required(headers, 'x-slipway-delivery', 'a unique id per delivery (a UUID), kept when the same delivery is sent again');
    const hook = parseArtifactHook(json);
    return this.intake.receive({ project, source: 'artifact', id, event: 'artifact', commit: hook.commit }, () => artifactPlan(pipeline, hook));
  }

  async github(project: string, headers: Headers, raw: Buffer, json: unknown = parseJson(raw)): Promise<IntakeAnswer> {
    const { pipeline, secret } = this.door(project);
    verifyGitHub(secret, one(headers, 'x-hub-signature-256'), raw);
    const event = required(headers, 'x-github-event', 'the event name GitHub sends');
    const id = required(headers, 'x-github-delivery', 'the delivery GUID GitHub sends');
    const body = json;
    return this.intake.receive({ project, source: 'github', id, event }, () => githubPlan(pipeline, event, body, this.pullRequests, this.deps.clock.now()));
  }

  async gitlab(project: string, headers: Headers, raw: Buffer, json: unknown = parseJson(raw)): Promise<IntakeAnswer> {
    const { pipeline, secret } = this.door(project);
    verifyGitLab(secret, one(headers, 'x-gitlab-token'));
    const event = required(headers, 'x-gitlab-event', 'the event name GitLab sends');
    const id = required(headers, 'x-gitlab-event-uuid', 'the event UUID GitLab sends');
    const body = json;
    return this.intake.receive({ project, source: 'gitlab', id, event }, () => gitlabPlan(pipeline, event, body, this.pullRequests, this.deps.clock.now()));
  }

  deliveries(filter: DeliveryFilter): Promise<DeliveryRow[]> {
    return this.deps.store.listDeliveries(filter);
  }

  /** The project and the value of its webhook secret. */
  private door(project: string): { pipeline: Pipeline; secret: string } {
    const pipeline = this.deps.engine.pipeline(project);
    if (!pipeline) throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' is not loaded on this server; check the webhook URL (/api/v1/hooks/<project>/…) against GET /api/v1/projects`, { field: 'project' });
    const ref = pipeline.webhook?.secret;
    if (ref === undefined) {
      throw new SlipwayError('WEBHOOK_NOT_CONFIGURED', `project '${project}' takes no webhooks: add spec.webhook: {secret: '\${secret:NAME}'} to its slipway.yaml and set the secret (docs/triggers.md)`, { field: 'project' });
    }
    try {
      const secret = this.deps.secrets.resolve({ secret: ref }, { id: `webhook:${project}`, name: 'webhook', kind: 'webhook' })['secret'];
      if (typeof secret !== 'string' || secret === '') throw new Error(`${ref} resolved to nothing`);
      return { pipeline, secret };
    } catch (e) {
      const name = /\$\{secret:([^}]*)\}/.exec(ref)?.[1] ?? ref;
      const why = /which is not set/.test((e as Error).message) ? 'is not set' : `cannot be read (${(e as Error).message})`;
      throw new SlipwayError('WEBHOOK_NOT_CONFIGURED', `project '${project}''s webhook secret ${ref} ${why}; set it with \`slipway secret set ${name}\` or SLIPWAY_SECRET_${name} in the server's environment`, { field: 'project' }, { cause: e });
    }
  }
}

function one(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function required(headers: Headers, name: string, what: string): string {
  const v = one(headers, name);
  if (v === undefined || v === '') throw new SlipwayError('INVALID_INPUT', `header ${name} is missing: send ${what}`, { field: name });
  return v;
}

export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new SlipwayError('INVALID_INPUT', `the body is not valid JSON (${(e as Error).message}); send the payload as application/json`, { field: 'body' });
  }
}
