/**
 * Keptn's control-plane API, as far as Keptn's executors and tools use it: the open
 * triggered events an executor polls, the event endpoint it answers on, the metadata its
 * clients check, and the event list Keptn's datastore answered. Each route is served under
 * `/api` (what a Keptn executor outside the cluster calls, KEPTN_API_ENDPOINT=http://host/api)
 * and without it (what go-utils' clients call when given the bare host). A Keptn executor
 * authenticates with Keptn's `x-token` header carrying a Slipway token with scope `execute`
 * (or `execute:<task>`); `Authorization: Bearer` works too.
 */
import { z } from 'zod';
import type { Slipway } from '../../main.js';
import { KeptnExecutorApi, leaseKeyIn } from '../../keptn/index.js';
import { errors } from '../schemas/common.js';
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

const Page = z.object({
  events: z.array(KeptnEvent),
  nextPageKey: z.string().describe("offset of the next page; '0' when there is none (as Keptn)"),
  totalCount: z.number().int(),
  pageSize: z.number().int(),
});

const Paging = {
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  nextPageKey: z.string().regex(/^\d{1,9}$/, 'nextPageKey is the offset a previous page answered').optional(),
};

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

export function keptnRoutes(app: Api, slipway: Slipway): void {
  const api = new KeptnExecutorApi({ engine: slipway.engine, store: slipway.store, leaseKey: leaseKeyIn(slipway.dataDir) });

  for (const prefix of ['/api', '']) {
    app.get(`${prefix}/controlPlane/v1/event/triggered/:eventType`, {
      config: { scope: 'execute' },
      schema: {
        summary: "Keptn: the open triggered events of a task (sh.keptn.event.<task>.triggered) in Keptn's format, oldest first",
        params: z.object({ eventType: z.string().max(300) }),
        querystring: z.object({ project: z.string().max(200).optional(), stage: z.string().max(200).optional(), service: z.string().max(200).optional(), ...Paging }),
        response: { 200: Page, ...errors },
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
        summary: "Keptn: an executor's sh.keptn.event.<task>.started, .status.changed or .finished, naming the .triggered event in triggeredid. 409 NOT_CLAIM_HOLDER when another source started the task",
        body: Posted,
        response: { 200: z.object({ keptnContext: z.string(), applied: z.boolean() }), ...errors },
      },
      handler: async (req) => {
        const b = req.body;
        return api.post(
          { id: b.id, type: b.type, source: b.source, ...(b.triggeredid !== undefined ? { triggeredid: b.triggeredid } : {}), ...(b.data !== undefined ? { data: b.data } : {}) },
          { by: by(req.identity), actor: executorActor(req.identity, undefined, undefined) },
        );
      },
    });

    app.get(`${prefix}/v1/metadata`, {
      config: { scope: 'none' },
      schema: {
        summary: "Keptn: what Keptn's clients check before they talk to the control plane",
        response: { 200: z.object({ keptnversion: z.string(), keptnlabel: z.string(), namespace: z.string(), shipyardcontrollerversion: z.string(), bridgeversion: z.string(), automaticProvisioning: z.boolean() }) },
      },
      // Keptn 1.x clients accept a 1.x control plane; the label says it is Slipway's.
      handler: async () => ({ keptnversion: '1.4.0', keptnlabel: 'slipway', namespace: 'slipway', shipyardcontrollerversion: '1.4.0', bridgeversion: 'none', automaticProvisioning: false }),
    });

    app.get(`${prefix}/mongodb-datastore/event`, {
      config: { scope: 'read' },
      schema: {
        summary: "Keptn: a project's events in Keptn's dialect (what Keptn's datastore answered), oldest first",
        querystring: z.object({ project: z.string().max(200), keptnContext: z.string().max(200).optional(), type: z.string().max(300).optional(), ...Paging }),
        response: { 200: Page, ...errors },
      },
      handler: async (req) => {
        const { project, keptnContext, type, pageSize, nextPageKey } = req.query;
        const all = (await api.stream(project)).filter((e) => (keptnContext === undefined || e.shkeptncontext === keptnContext) && (type === undefined || e.type === type));
        return page(all, pageSize, nextPageKey);
      },
    });
  }
}

