/**
 * Webhooks that make releases (`/api/v1/hooks/{project}/artifact|github|gitlab`), the
 * deliveries they recorded, and the git watcher's state. The webhook routes need no token:
 * the project's secret signs each delivery, verified over the raw body, so these routes
 * live in their own scope where a JSON body arrives as the bytes sent, not parsed.
 */
import { z } from 'zod';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Slipway } from '../../main.js';
import { ArtifactHookBody } from '../../triggers/index.js';
import type { IntakeAnswer } from '../../triggers/index.js';
import { JSON_TYPES } from '../content.js';
import { ProjectParams, errors } from '../schemas/common.js';
import { MAX_JSON_DEPTH, fieldPath, tooDeepAt } from '../json-limits.js';
import type { Api } from '../types.js';
import { SlipwayError } from '../../core/index.js';
import { requirePipeline } from './projects.js';

const Answer = z.object({
  releaseId: z.string().optional().describe('the release the delivery made (or made before, for a repeat)'),
  runId: z.string().optional().describe('its run in the stage it entered'),
  outcome: z.enum(['received', 'released', 'forwarded', 'ignored', 'rejected']),
  duplicate: z.boolean().describe('true: this delivery id was received before; nothing new was created'),
  message: z.string(),
});

const Delivery = z.object({
  project: z.string(),
  source: z.string().describe('artifact, github, gitlab or watcher'),
  id: z.string().describe('the delivery id (X-Slipway-Delivery, X-GitHub-Delivery, X-Gitlab-Event-UUID; <ref>@<commit> for the watcher)'),
  event: z.string(),
  receivedAt: z.number().int(),
  updatedAt: z.number().int(),
  outcome: z.string().describe('received (being handled, or cut off by a stop), released, forwarded, ignored, rejected'),
  status: z.number().int().describe('the HTTP status answered'),
  message: z.string().optional(),
  commit: z.string().optional(),
  releaseId: z.string().optional(),
  runId: z.string().optional(),
});

const WatchStatus = z.object({
  project: z.string(),
  url: z.string(),
  intervalMs: z.number().int(),
  state: z.string().describe('priming (first poll pending), ok, or backing-off after errors'),
  lastPollAt: z.number().int().nullable(),
  lastSuccessAt: z.number().int().nullable(),
  nextPollAt: z.number().int().nullable(),
  failures: z.number().int().describe('consecutive failed polls'),
  lastError: z.string().nullable(),
  primedAt: z.number().int().nullable().describe('when the first poll recorded what existed (released nothing)'),
  refs: z.number().int().describe('branches and tags being followed'),
  releases: z.number().int().describe('releases made since the server started'),
});

/** A webhook body: the bytes as received (what the signature covers) and their JSON. */
class SignedBody {
  constructor(
    readonly raw: Buffer,
    readonly json: unknown,
  ) {}
}

const hookHeaders = (shape: Record<string, z.ZodType>) => z.looseObject(shape);

export function hookRoutes(app: Api, slipway: Slipway): void {
  const send = (answer: IntakeAnswer) => ({ ...answer });
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // The signature covers the bytes as sent: keep them beside the parsed value. Broken JSON
    // is refused here, as on every route; the fields are checked after the signature.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...JSON_TYPES], { parseAs: 'buffer' }, (_req, body, done) => {
      const raw = body as Buffer;
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        return done(new SlipwayError('INVALID_INPUT', `the body is not valid JSON: ${(e as Error).message}`, { field: 'body' }), undefined);
      }
      const deep = tooDeepAt(json, MAX_JSON_DEPTH);
      if (deep) return done(new SlipwayError('INVALID_INPUT', `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (at ${fieldPath(deep)})`, { field: fieldPath(deep) }), undefined);
      done(null, new SignedBody(raw, json));
    });
    // The body schema documents the payload; it is checked after the signature, so a forged body is a 401, not a 400.
    scope.setValidatorCompiler((req) => (req.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(req as Parameters<typeof validatorCompiler>[0])));
    const signed = (body: unknown): SignedBody => (body instanceof SignedBody ? body : new SignedBody(Buffer.alloc(0), body));
    const responses = { 200: Answer.describe('a delivery seen before: the ids it made, nothing new'), 202: Answer, ...errors };

    scope.post('/api/v1/hooks/:project/artifact', {
      config: { scope: 'none' },
      schema: {
        summary: 'Generic artifact webhook: a release of these artifacts enters the first stage (signed; no token)',
        description: 'Sign "<X-Slipway-Timestamp>.<raw body>" with HMAC-SHA256 and the project secret (spec.webhook); see docs/triggers.md.',
        params: ProjectParams,
        headers: hookHeaders({
          'x-slipway-timestamp': z.string().optional().describe('Unix seconds; within 5 minutes of the server clock'),
          'x-slipway-delivery': z.string().optional().describe('a unique id per delivery; a repeat answers 200 with the same ids'),
          'x-slipway-signature': z.string().optional().describe('sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">'),
        }),
        body: ArtifactHookBody,
        response: responses,
      },
      handler: async (req, reply) => {
        const b = signed(req.body);
        const a = await slipway.webhooks.artifact(req.params.project, req.headers, b.raw, b.json);
        return reply.code(a.status).send(send(a));
      },
    });

    // GitHub and GitLab differ only in their headers and in the adapter that reads the payload.
    const forges = [
      {
        forge: 'github',
        name: 'GitHub',
        summary: 'GitHub webhook: push, create, pull_request, workflow_run, registry_package (X-Hub-Signature-256; no token)',
        headers: ['x-hub-signature-256', 'x-github-event', 'x-github-delivery'],
        receive: slipway.webhooks.github.bind(slipway.webhooks),
      },
      {
        forge: 'gitlab',
        name: 'GitLab',
        summary: 'GitLab webhook: push, tag push, merge request, pipeline events (X-Gitlab-Token; no token)',
        headers: ['x-gitlab-token', 'x-gitlab-event', 'x-gitlab-event-uuid'],
        receive: slipway.webhooks.gitlab.bind(slipway.webhooks),
      },
    ] as const;
    for (const f of forges) {
      scope.post(`/api/v1/hooks/:project/${f.forge}`, {
        config: { scope: 'none' },
        schema: {
          summary: f.summary,
          params: ProjectParams,
          headers: hookHeaders(Object.fromEntries(f.headers.map((h) => [h, z.string().optional()]))),
          body: z.record(z.string(), z.unknown()).describe(`${f.name}'s payload for the event`),
          response: responses,
        },
        handler: async (req, reply) => {
          const b = signed(req.body);
          const a = await f.receive(req.params.project, req.headers, b.raw, b.json);
          return reply.code(a.status).send(send(a));
        },
      });
    }
  });

  app.get('/api/v1/projects/:project/hooks/deliveries', {
    config: { scope: 'read' },
    schema: {
      summary: "A project's recent webhook deliveries and watcher finds, newest first, with what became of each",
      params: ProjectParams,
      querystring: z.object({ source: z.enum(['artifact', 'github', 'gitlab', 'watcher']).optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: { 200: z.object({ deliveries: z.array(Delivery) }), ...errors },
    },
    handler: async (req) => {
      requirePipeline(slipway, req.params.project);
      const deliveries = await slipway.webhooks.deliveries({ project: req.params.project, limit: req.query.limit, ...(req.query.source ? { source: req.query.source } : {}) });
      return { deliveries };
    },
  });

  app.get('/api/v1/projects/:project/watch', {
    config: { scope: 'read' },
    schema: {
      summary: "The git watcher's state for a project: last poll, errors and back-off, refs followed",
      params: ProjectParams,
      response: { 200: z.object({ watch: WatchStatus.nullable().describe('null: spec.repository.watch is not set') }), ...errors },
    },
    handler: async (req) => {
      requirePipeline(slipway, req.params.project);
      return { watch: (await slipway.gitWatch.status(req.params.project)) ?? null };
    },
  });

  app.post('/api/v1/projects/:project/watch/poll', {
    config: { scope: 'trigger' },
    schema: {
      summary: "Poll the project's repository now instead of at the next interval; answers once the poll ended",
      params: ProjectParams,
      body: z.object({}).optional().describe('nothing'),
      response: { 200: z.object({ watch: WatchStatus, released: z.array(z.object({ ref: z.string(), commit: z.string(), releaseId: z.string().optional(), runId: z.string().optional(), message: z.string() })) }), ...errors },
    },
    handler: async (req) => {
      requirePipeline(slipway, req.params.project);
      return slipway.gitWatch.pollNow(req.params.project);
    },
  });
}
