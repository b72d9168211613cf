/**
 * Keptn's control-plane API, as far as Keptn's executors and tools use it: the open
 * triggered events an executor polls, the event endpoint it answers on, the metadata its
 * clients check, `keptn auth`'s token check, and the event list Keptn's datastore answered.
 * Each route is served under `/api` (what a Keptn executor outside the cluster calls,
 * KEPTN_API_ENDPOINT=http://host/api) and without it (what go-utils' clients call when given
 * the bare host). A Keptn executor authenticates with Keptn's `x-token` header carrying a
 * Slipway token with scope `execute` (or `execute:<task>`); `Authorization: Bearer` works too.
 *
 * The routes live in their own fastify scope so that a refusal answers as Keptn's API did,
 * `{code: <HTTP status>, message}` (Keptn's clients print `message` and branch on `code`),
 * with Slipway's word for it beside (`reason`) and the field at fault (`fields`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SlipwayError, httpStatusOf } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { DATASTORE_KEY, KeptnDatastore, KeptnExecutorApi, keptnProject, leaseKeyIn } from '../../keptn/index.js';
import { toSlipwayError } from '../errors.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { executorActor } from '../executor-actor.js';

const KeptnEvent = z.object({
  specversion: z.string(),
  id: z.string(),
  source: z.string(),
  type: z.string(),
  time: z.string(),
  datacontenttype: z.string(),
  shkeptncontext: z.string(),
  shkeptnspecversion: z.string(),
  triggeredid: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

/** Keptn's error body (its `models.Error`), with Slipway's code beside it. */
const KeptnError = z.looseObject({
  code: z.number().int().describe('the HTTP status, as Keptn answered'),
  message: z.string().describe('what went wrong and how to fix it'),
  fields: z.string().optional().describe('the field or parameter at fault'),
  reason: z.string().optional().describe("Slipway's error code (src/core/errors.ts): NOT_CLAIM_HOLDER, UNAUTHORIZED, ..."),
});
const keptnErrors = { '4xx': KeptnError, '5xx': KeptnError } as const;

const Page = z.object({
  events: z.array(KeptnEvent),
  nextPageKey: z.string().describe("where the next page starts; '0' when there is none (as Keptn)"),
  totalCount: z.number().int(),
  pageSize: z.number().int(),
});

const PageSize = z.coerce.number().int().min(1).max(100).default(20);

const Posted = z
  .object({
    specversion: z.string().optional(),
    id: z.string().min(1).max(200),
    source: z.string().min(1).max(200).describe('the executor: the first .started claims the task for it'),
    type: z.string().min(1).max(300),
    triggeredid: z.string().max(200).optional(),
    shkeptncontext: z.string().max(200).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

function page<T>(all: T[], pageSize: number, key: string | undefined) {
  const from = key === undefined ? 0 : Number(key);
  const events = all.slice(from, from + pageSize);
  const next = from + pageSize < all.length ? String(from + pageSize) : '0';
  return { events, nextPageKey: next, totalCount: all.length, pageSize };
}

/** A refusal as Keptn's API answered it. */
export function keptnErrorBody(e: SlipwayError): z.infer<typeof KeptnError> {
  const field = e.fields.field;
  return { code: httpStatusOf(e.code), message: e.message, reason: e.code, ...(typeof field === 'string' ? { fields: field } : {}) };
}

function keptnErrorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  let e = toSlipwayError(err);
  // fastify's own "body too large" names no field; Slipway's handler says it is the body (src/api/errors.ts).
  if (e.code === 'PAYLOAD_TOO_LARGE' && e.fields.field === undefined) e = new SlipwayError('PAYLOAD_TOO_LARGE', `the request body is larger than ${req.server.initialConfig.bodyLimit ?? 1024 * 1024} bytes, the most this server accepts`, { field: 'body' }, { cause: err });
  if (httpStatusOf(e.code) >= 500) req.log.error({ err }, 'Keptn API request failed');
  return reply.code(httpStatusOf(e.code)).type('application/json').send(keptnErrorBody(e));
}

export function keptnRoutes(app: Api, slipway: Slipway): void {
  void app.register(async (scoped) => {
    scoped.setErrorHandler(keptnErrorHandler);
    routes(scoped as Api, slipway);
  });
}

function routes(app: Api, slipway: Slipway): void {
  const api = new KeptnExecutorApi({ engine: slipway.engine, store: slipway.store, leaseKey: leaseKeyIn(slipway.dataDir) });
  const datastore = new KeptnDatastore(slipway.store);

  for (const prefix of ['/api', '']) {
    app.get(`${prefix}/controlPlane/v1/event/triggered/:eventType`, {
      config: { scope: 'execute' },
      schema: {
        summary: "Keptn: the open triggered events of a task (sh.keptn.event.<task>.triggered) in Keptn's format, oldest first",
        params: z.object({ eventType: z.string().max(300) }),
        querystring: z.object({
          project: z.string().max(200).optional(),
          stage: z.string().max(200).optional(),
          service: z.string().max(200).optional(),
          pageSize: PageSize,
          nextPageKey: z.string().regex(/^\d{1,9}$/, 'nextPageKey is the offset a previous page answered').optional(),
        }),
        response: { 200: Page, ...keptnErrors },
      },
      handler: async (req) => {
        const { project, stage, service, pageSize, nextPageKey } = req.query;
        const all = await api.openTriggered({ eventType: req.params.eventType, ...(project ? { project } : {}), ...(stage ? { stage } : {}), ...(service ? { service } : {}) });
        return page(all, pageSize, nextPageKey);
      },
    });

    app.post(`${prefix}/v1/event`, {
      config: { scope: 'execute', accepts: ['application/json', 'application/cloudevents+json'] },
      schema: {
        summary: "Keptn: an executor's sh.keptn.event.<task>.started, .status.changed or .finished, naming the .triggered event in triggeredid. 409 when another source (or a push subscription) holds the task",
        body: Posted,
        response: { 200: z.object({ keptnContext: z.string(), applied: z.boolean() }), ...keptnErrors },
      },
      handler: async (req) => {
        const b = req.body;
        return api.post(
          { id: b.id, type: b.type, source: b.source, ...(b.triggeredid !== undefined ? { triggeredid: b.triggeredid } : {}), ...(b.data !== undefined ? { data: b.data } : {}) },
          { by: by(req.identity), actor: executorActor(req.identity, undefined, undefined) },
        );
      },
    });

    app.post(`${prefix}/v1/auth`, {
      // Any token that may read: Keptn's CLI authenticates a person, who reads before anything else.
      config: { scope: 'read' },
      schema: {
        summary: "Keptn: what `keptn auth` calls. 200 (no body, as Keptn) for a token this server knows, 401 otherwise (403 for a token without read)",
        body: z.looseObject({}).optional().describe('nothing: keptn auth sends no body'),
        response: { 200: z.undefined().describe('no body'), ...keptnErrors },
      },
      handler: async (req, reply) => {
        // The guard lets a request without a token through when reads are open: keptn auth still needs one.
        if (!req.identity) throw new SlipwayError('UNAUTHORIZED', 'keptn auth needs a token: send x-token: <token> (keptn auth --api-token) or Authorization: Bearer <token>', { field: 'x-token' });
        return reply.code(200).send();
      },
    });

    app.get(`${prefix}/v1/metadata`, {
      config: { scope: 'none' },
      schema: {
        summary: "Keptn: what Keptn's clients check before they talk to the control plane",
        response: { 200: z.object({ keptnversion: z.string(), keptnlabel: z.string(), namespace: z.string(), shipyardcontrollerversion: z.string(), bridgeversion: z.string(), automaticProvisioning: z.boolean() }), ...keptnErrors },
      },
      // Keptn 1.x clients accept a 1.x control plane; the label says it is Slipway's.
      handler: async () => ({ keptnversion: '1.4.0', keptnlabel: 'slipway', namespace: 'slipway', shipyardcontrollerversion: '1.4.0', bridgeversion: 'none', automaticProvisioning: false }),
    });

    app.get(`${prefix}/mongodb-datastore/event`, {
      config: { scope: 'read' },
      schema: {
        summary: "Keptn: a project's events in Keptn's dialect (what Keptn's datastore answered), oldest first, a page at a time",
        querystring: z.object({
          project: z.string().max(200),
          keptnContext: z.string().max(200).optional(),
          type: z.string().max(300).optional(),
          pageSize: PageSize,
          nextPageKey: z.string().regex(DATASTORE_KEY, 'nextPageKey is what a previous page answered').optional(),
        }),
        response: { 200: Page, ...keptnErrors },
      },
      handler: async (req) => {
        const { project, keptnContext, type, pageSize, nextPageKey } = req.query;
        keptnProject((p) => slipway.engine.pipeline(p), project);
        return datastore.page({ project, pageSize, ...(keptnContext !== undefined ? { keptnContext } : {}), ...(type !== undefined ? { type } : {}), ...(nextPageKey !== undefined ? { nextPageKey } : {}) });
      },
    });
  }
}
