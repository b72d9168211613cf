/**
 * Load-test reports and recorded traffic (scope read): the figures of a run's `loadtest` and
 * `traffic-compare` tasks, and the redacted sample a stage's router keeps of its live requests.
 */
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { Json, Name, ResultSchema, RunParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { requirePipeline } from './projects.js';

const REPORT_KINDS = ['loadtest', 'traffic-compare'];

const Report = z.object({
  task: z.string(),
  kind: z.string(),
  attempt: z.number().int(),
  state: z.string(),
  result: ResultSchema.nullable(),
  message: z.string().nullable().describe('the verdict, naming the failing level and figure'),
  output: Json.nullable().describe('loadtest: baseline, target, previous and levels (per level: rps, requests, errors, errorRate, throughput, p50Ms, p95Ms, p99Ms, result, reasons); traffic-compare: compared, differing, share, counts, examples'),
});

const Reports = z.object({ runId: z.string(), project: z.string(), stage: z.string(), releaseId: z.string(), reports: z.array(Report) });

const TrafficParams = z.object({ project: Name, stage: Name, service: Name });
const TrafficQuery = z.object({ limit: z.coerce.number().int().min(1).max(100_000).default(100).describe('newest requests shown (default 100)') });

const Recorded = z.object({
  project: z.string(),
  stage: z.string(),
  service: z.string(),
  seen: z.number().int().describe('live requests the router saw since recording began'),
  recorded: z.number().int().describe('of them recorded (older ones leave the sample once it holds max)'),
  kept: z.number().int().describe('requests in the sample now'),
  spec: Json.describe("the stage's traffic.record as in force"),
  requests: z.array(z.object({ at: z.number().int(), method: z.string(), path: z.string(), headers: z.record(z.string(), z.string()) })).describe('newest last, redacted as recorded'),
});

export function trafficRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/runs/:runId/loadtests', {
    config: { scope: 'read' },
    schema: { summary: "A run's load-test and traffic-comparison reports: per-level figures and verdicts", params: RunParams, response: { 200: Reports, ...errors } },
    handler: async (req) => {
      const run = await slipway.store.getRun(req.params.runId);
      if (!run) throw new SlipwayError('UNKNOWN_RUN', `run '${req.params.runId}' does not exist`, { field: 'runId' });
      const reports = run.tasks
        .filter((t) => REPORT_KINDS.includes(t.kind))
        .map((t) => ({ task: t.name, kind: t.kind, attempt: t.attempt, state: t.state, result: t.result ?? null, message: t.message ?? null, output: t.data ? { ...t.data } : null }));
      return { runId: run.id, project: run.project, stage: run.stage, releaseId: run.releaseId, reports };
    },
  });

  app.get('/api/v1/traffic/:project/:stage/:service', {
    config: { scope: 'read' },
    schema: { summary: "The redacted sample of live requests a stage's router recorded for a service (the stage's traffic.record)", params: TrafficParams, querystring: TrafficQuery, response: { 200: Recorded, ...errors } },
    handler: async (req) => {
      const { project, stage, service } = req.params;
      const pipeline = requirePipeline(slipway, project);
      const st = pipeline.stages.find((s) => s.name === stage);
      if (!st) throw new SlipwayError('UNKNOWN_STAGE', `stage '${stage}' is not defined in project '${project}'; defined stages: ${pipeline.stages.map((s) => s.name).join(', ')}`, { field: 'stage' });
      if (!st.traffic) throw new SlipwayError('INVALID_STATE', `stage '${stage}' of project '${project}' records no traffic; add traffic: {record: {sample: 0.1, max: 1000}} to the stage in slipway.yaml`, { field: 'stage' });
      const rec = slipway.platform.recorded({ project, stage, service });
      if (!rec) throw new SlipwayError('UNKNOWN_SERVICE', `service '${service}' has not been deployed to stage '${stage}' on the local platform, so nothing was recorded for it`, { field: 'service' });
      return { project, stage, service, seen: rec.seen, recorded: rec.recorded, kept: rec.requests.length, spec: { ...rec.spec }, requests: rec.requests.slice(-req.query.limit) };
    },
  });
}
