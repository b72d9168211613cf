/** Releases: create and trigger one, show it, promote it, roll a stage back to one; and the project's stage × service matrix. */
import { z } from 'zod';
import { SlipwayError, liveKey } from '../../core/index.js';
import type { Input, LiveEntry, Pipeline } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { Name, ProjectParams, ResultSchema, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { statusView } from '../views.js';
import { viewSerializer } from '../serialize.js';
import { changeInputId } from '../idempotency.js';
import { runQueuedBy } from '../../engine/index.js';
import type { Watch } from '../../triggers/index.js';
import { requirePipeline } from './projects.js';
import { HoldView, ScheduleView, withAutomation } from './automation.js';

const TriggerBody = z.object({
  artifacts: z.record(z.string(), z.string()).describe('{service: artifact reference}'),
  stage: Name.optional().describe('stage the release enters (default: the first)'),
  sequence: Name.optional(),
  commit: z.string().max(200).optional(),
  commitTime: z.union([z.number().int(), z.iso.datetime({ offset: true })]).optional().describe('UTC ms or RFC 3339'),
  author: z.string().max(200).optional(),
});

const ReleaseParams = ProjectParams.extend({ releaseId: Name });
/** A watch-after-success window open in a stage: its alarms are polled until `until`. */
const Watching = z.object({ releaseId: z.string(), runId: z.string(), until: z.number().int() });

const Cell = z.object({
  service: z.string(),
  artifact: z.string().nullable(),
  release: z.string().nullable(),
  state: z.string().nullable(),
  since: z.number().int().nullable(),
  lastGoodRelease: z.string().nullable(),
  lastGoodArtifact: z.string().nullable(),
  endpoint: z.string().nullable().describe('where the service answers in that stage, when the local platform runs it'),
});

export function releaseRoutes(app: Api, slipway: Slipway): void {
  const { engine, store } = slipway;
  /**
   * Applies a change that makes a run, under its key's input id when it has one (changeInputId).
   * The engine answers a repeat of an applied input with no value: that is a keyed change whose
   * answer was never kept (the server stopped, or its store failed, right after applying it),
   * and the retry answers the run it made instead of running again.
   */
  const applyRun = async (input: Extract<Input, { type: 'trigger' | 'promote' | 'rollback' }>, keyed: boolean): Promise<{ releaseId: string; runId: string; created: boolean }> => {
    const d = await engine.apply(input);
    if (d.value?.releaseId !== undefined && d.value.runId !== undefined) return { releaseId: d.value.releaseId, runId: d.value.runId, created: d.ignored === undefined };
    const earlier = keyed ? await runQueuedBy(store, input.id) : undefined;
    if (!earlier) throw new SlipwayError('INTERNAL', `${input.type} input ${input.id} made no run (${d.ignored ?? 'no reason given'})`);
    return { ...earlier, created: true };
  };

  app.post('/api/v1/projects/:project/releases', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Create a release from artifacts and trigger it into a stage',
      params: ProjectParams,
      body: TriggerBody,
      response: { 201: z.object({ releaseId: z.string(), runId: z.string(), created: z.boolean() }), ...errors },
    },
    handler: async (req, reply) => {
      const b = req.body;
      requirePipeline(slipway, req.params.project);
      const commitTime = typeof b.commitTime === 'string' ? Date.parse(b.commitTime) : b.commitTime;
      const { id, keyed } = changeInputId(req);
      const made = await applyRun({
        type: 'trigger',
        id,
        project: req.params.project,
        artifacts: b.artifacts,
        by: by(req.identity),
        provenance: {
          source: 'api',
          ...(b.commit !== undefined ? { commit: b.commit } : {}),
          ...(commitTime !== undefined ? { commitTime } : {}),
          ...(b.author !== undefined ? { author: b.author } : {}),
        },
        ...(b.stage !== undefined ? { stage: b.stage } : {}),
        ...(b.sequence !== undefined ? { sequence: b.sequence } : {}),
      }, keyed);
      return reply.code(201).send(made);
    },
  });

  app.get('/api/v1/projects/:project/releases/:releaseId', {
    config: { scope: 'read' },
    schema: {
      summary: 'Show a release: artifacts, provenance, and its outcome in each stage',
      params: ReleaseParams,
      response: {
        200: z.object({
          id: z.string(),
          project: z.string(),
          artifacts: z.record(z.string(), z.string()),
          provenance: z.record(z.string(), z.unknown()),
          createdAt: z.number().int(),
          stages: z.array(z.object({ stage: z.string(), sequence: z.string(), result: ResultSchema, runId: z.string(), at: z.number().int() })),
        }),
        ...errors,
      },
    },
    handler: async (req) => {
      const { project, releaseId } = req.params;
      const release = await store.getRelease(releaseId);
      if (!release || release.project !== project) {
        throw new SlipwayError('UNKNOWN_RELEASE', `release '${releaseId}' does not exist in project '${project}'`, { field: 'releaseId' });
      }
      const passes = await store.stagePasses(releaseId);
      return {
        id: release.id,
        project: release.project,
        artifacts: { ...release.artifacts },
        provenance: { ...release.provenance },
        createdAt: release.createdAt,
        stages: passes.map((p) => ({ stage: p.stage, sequence: p.sequence, result: p.result, runId: p.runId, at: p.at })),
      };
    },
  });

  app.post('/api/v1/projects/:project/releases/:releaseId/promote', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Promote a release into a stage whose upstream it passed',
      params: ReleaseParams,
      body: z.object({ stage: Name, sequence: Name.optional() }),
      response: { 201: z.object({ releaseId: z.string(), runId: z.string() }), ...errors },
    },
    handler: async (req, reply) => {
      requirePipeline(slipway, req.params.project);
      const { id, keyed } = changeInputId(req);
      const { releaseId, runId } = await applyRun({
        type: 'promote',
        id,
        project: req.params.project,
        releaseId: req.params.releaseId,
        stage: req.body.stage,
        by: by(req.identity),
        ...(req.body.sequence !== undefined ? { sequence: req.body.sequence } : {}),
      }, keyed);
      return reply.code(201).send({ releaseId, runId });
    },
  });

  app.post('/api/v1/projects/:project/stages/:stage/rollback', {
    config: { scope: 'trigger' },
    schema: {
      summary: "Run an earlier release in a stage again: `to`, or the stage's last good release",
      params: ProjectParams.extend({ stage: Name }),
      body: z.object({ to: Name.optional().describe('release id (default: the last good release)'), reason: z.string().max(500).optional() }),
      response: { 201: z.object({ releaseId: z.string(), runId: z.string() }), ...errors },
    },
    handler: async (req, reply) => {
      requirePipeline(slipway, req.params.project);
      const { id, keyed } = changeInputId(req);
      const { releaseId, runId } = await applyRun({
        type: 'rollback',
        id,
        project: req.params.project,
        stage: req.params.stage,
        by: by(req.identity),
        ...(req.body.to !== undefined ? { to: req.body.to } : {}),
        ...(req.body.reason !== undefined ? { reason: req.body.reason } : {}),
      }, keyed);
      return reply.code(201).send({ releaseId, runId });
    },
  });

  app.get('/api/v1/projects/:project/status', {
    config: { scope: 'read' },
    // statusView builds every field itself; the 12,500-cell answer skips zod's encoding (src/api/serialize.ts).
    serializerCompiler: viewSerializer,
    schema: {
      summary: 'What runs where: per stage and service, the release serving now and the last good one',
      params: ProjectParams,
      response: { 200: z.object({ project: z.string(), stages: z.array(z.object({ name: z.string(), services: z.array(Cell), watching: z.array(Watching).optional(), schedule: ScheduleView.optional(), hold: HoldView.optional() })) }), ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      // The engine holds the live table in memory; a project that declares its services is read from there.
      const live = p.services.length > 0 ? liveFromMemory(engine.view.live, p) : await store.live(req.params.project);
      const view = statusView(p, live, (stage, service) => slipway.platform.endpoint({ project: req.params.project, stage, service }));
      return withAutomation(withWatches(view, slipway.alarmWatch.watches(req.params.project)), engine.view, p);
    },
  });
}

function withWatches<S extends { name: string }>(view: { project: string; stages: S[] }, watches: readonly Watch[]) {
  return {
    ...view,
    stages: view.stages.map((s) => {
      const open = watches.filter((w) => w.stage === s.name).map((w) => ({ releaseId: w.releaseId, runId: w.runId, until: w.until }));
      return open.length > 0 ? { ...s, watching: open } : s;
    }),
  };
}

function liveFromMemory(live: ReadonlyMap<string, LiveEntry>, p: Pipeline): LiveEntry[] {
  const out: LiveEntry[] = [];
  for (const stage of p.stages) {
    for (const service of p.services) {
      const l = live.get(liveKey(p.name, stage.name, service));
      if (l) out.push(l);
    }
  }
  return out;
}
