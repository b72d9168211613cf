/**
 * Freeze windows over HTTP: each stage's freeze picture now (which window holds it, when it
 * opens, when the next one closes it, in UTC and in the window's zone), the runs held, and
 * an admin's override for one held run (audited as a run.freeze-overridden event).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FreezeWindowSpec, Run } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import type { Opening, WindowSpan } from '../../triggers/index.js';
import { formatLocal, stageFreeze } from '../../triggers/index.js';
import { ProjectParams, RunParams, errors } from '../schemas/common.js';
import { RunStateSchema } from '../schemas/runs.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requirePipeline } from './projects.js';

/** An instant in UTC ms, ISO UTC, and the local time in the window's zone. */
const Instant = z.object({ at: z.number().int(), utc: z.string(), local: z.string() });

const Span = z.object({
  window: z.string(),
  appliesTo: z.enum(['automation', 'everyone']),
  timeZone: z.string(),
  reason: z.string().nullable(),
  start: Instant,
  end: Instant,
});

const OpensAt = Instant.extend({ atLeast: z.boolean().describe('the merge of back-to-back windows stopped at its limit: it opens then or later') });

const HeldRun = z.object({
  runId: z.string(),
  stage: z.string(),
  releaseId: z.string(),
  origin: z.enum(['person', 'automation']),
  windows: z.array(z.string()),
  until: Instant,
  since: z.number().int(),
});

const StageFreezeView = z.object({
  stage: z.string(),
  frozen: z.boolean().describe('held for automation (auto promotion, schedules, webhooks)'),
  frozenForPeople: z.boolean().describe('held for people too (a window that applies to everyone)'),
  holding: z.array(Span),
  opensAt: OpensAt.nullable(),
  opensForPeopleAt: OpensAt.nullable(),
  nextClose: Span.nullable(),
});

export const FreezesView = z.object({
  project: z.string(),
  now: z.number().int(),
  stages: z.array(StageFreezeView),
  windows: z.array(
    z.object({
      name: z.string(),
      stages: z.array(z.string()),
      appliesTo: z.enum(['automation', 'everyone']),
      timeZone: z.string(),
      cron: z.string().nullable(),
      durationMs: z.number().nullable(),
      from: z.string().nullable(),
      to: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  held: z.array(HeldRun),
});

const UnfreezeBody = z.object({ reason: z.string().min(1).max(2000).describe('why this run may go now; recorded in the run.freeze-overridden event') });

function instant(at: number, zone: string) {
  return { at, utc: new Date(at).toISOString(), local: formatLocal(at, zone) };
}

function span(s: WindowSpan) {
  const w = s.window;
  return { window: w.name, appliesTo: w.appliesTo, timeZone: w.timeZone, reason: w.reason ?? null, start: instant(s.start, w.timeZone), end: instant(s.end, w.timeZone) };
}

function opening(o: Opening | undefined, zone: string) {
  return o ? { ...instant(o.at, zone), atLeast: o.atLeast } : null;
}

export function freezesView(project: string, windows: readonly FreezeWindowSpec[], stages: readonly string[], runs: Iterable<Run>, now: number): z.infer<typeof FreezesView> {
  const zoneOf = (names: readonly string[]) => windows.find((w) => names.includes(w.name))?.timeZone ?? 'UTC';
  const held = [...runs].filter((r) => r.project === project && r.state === 'queued' && r.frozen);
  return {
    project,
    now,
    stages: stages.map((stage) => {
      const f = stageFreeze(windows, stage, now);
      const zone = f.holding[0]?.window.timeZone ?? 'UTC';
      return {
        stage,
        frozen: f.frozen,
        frozenForPeople: f.frozenForPeople,
        holding: f.holding.map(span),
        opensAt: opening(f.opensAt, zone),
        opensForPeopleAt: opening(f.opensForPeopleAt, zone),
        nextClose: f.nextClose ? span(f.nextClose) : null,
      };
    }),
    windows: windows.map((w) => ({
      name: w.name,
      stages: [...w.stages],
      appliesTo: w.appliesTo,
      timeZone: w.timeZone,
      cron: w.when.kind === 'recurring' ? w.when.cron : null,
      durationMs: w.when.kind === 'recurring' ? w.when.durationMs : null,
      from: w.when.kind === 'dated' ? w.when.from : null,
      to: w.when.kind === 'dated' ? w.when.to : null,
      reason: w.reason ?? null,
    })),
    held: held.map((r) => ({
      runId: r.id,
      stage: r.stage,
      releaseId: r.releaseId,
      origin: r.origin ?? 'automation',
      windows: [...r.frozen!.windows],
      until: instant(r.frozen!.until, zoneOf(r.frozen!.windows)),
      since: r.frozen!.since,
    })),
  };
}

export function freezeRoutes(app: Api, slipway: Slipway): void {
  const { engine, store } = slipway;

  app.get('/api/v1/projects/:project/freezes', {
    config: { scope: 'read' },
    schema: {
      summary: "Freeze windows: per stage, whether it is frozen now and by which window, when it opens and when the next window closes it (UTC and the window's zone); runs held",
      params: ProjectParams,
      response: { 200: FreezesView, ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      return freezesView(
        p.name,
        p.freezes ?? [],
        p.stages.map((s) => s.name),
        engine.view.runs.values(),
        slipway.clock.now(),
      );
    },
  });

  app.post('/api/v1/runs/:runId/unfreeze', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Let one run held by a freeze window start now (admin); the reason and who gave it are recorded as a run.freeze-overridden event',
      params: RunParams,
      body: UnfreezeBody,
      response: { 200: z.object({ runId: z.string(), state: RunStateSchema }), ...errors },
    },
    handler: async (req) => {
      const d = await engine.apply({ type: 'run.unfreeze', id: randomUUID(), runId: req.params.runId, by: by(req.identity), reason: req.body.reason });
      const runId = d.value!.runId!;
      const run = engine.view.runs.get(runId) ?? (await store.getRun(runId));
      return { runId, state: run!.state };
    },
  });
}
