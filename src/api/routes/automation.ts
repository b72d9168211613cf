/**
 * Automatic promotion over HTTP: per stage, how releases enter (auto, manual, a schedule with
 * its next fire time in UTC and in its zone, the last fire's outcome) and any promotion hold
 * (who set it and when); `resume-auto` lifts a hold (an event names who). The status route
 * shows the same per stage.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CoreState, Pipeline, StageSpec } from '../../core/index.js';
import { selectionOf, stageKey } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { formatLocal } from '../../triggers/index.js';
import { Name, ProjectParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requirePipeline } from './projects.js';

const Instant = z.object({ at: z.number().int(), utc: z.string(), local: z.string().describe("local time in the schedule's zone") });

export const ScheduleView = z.object({
  cron: z.string(),
  timeZone: z.string(),
  onlyIfNew: z.boolean(),
  missed: z.enum(['run-once', 'skip']),
  next: Instant.nullable().describe('the next fire time; null when not armed yet or the cron names no later time'),
  last: z
    .object({ dueAt: z.number().int(), at: z.number().int(), fired: z.boolean(), releaseId: z.string().nullable(), runId: z.string().nullable(), reason: z.string().nullable() })
    .nullable()
    .describe('the last fire: what entered, or why nothing did'),
});

export const HoldView = z.object({
  by: z.string().describe('who chose the older release'),
  at: z.number().int(),
  releaseId: z.string().describe('the release they chose'),
  automationWould: z.string().describe('the newer release automation would have brought then'),
  how: z.string().describe('promote, rollback or trigger'),
});

const StageAutomation = z.object({
  stage: z.string(),
  promotion: z.enum(['auto', 'manual', 'schedule']),
  selection: z.enum(['newest', 'matchUpstream']).nullable().describe('which release automation brings; null for manual stages'),
  schedule: ScheduleView.nullable(),
  hold: HoldView.nullable().describe('automatic promotion into the stage holds until someone resumes it'),
});

const AutomationView = z.object({ project: z.string(), stages: z.array(StageAutomation) });

export function scheduleView(state: Readonly<CoreState>, p: Pipeline, stage: StageSpec): z.infer<typeof ScheduleView> | null {
  const s = stage.schedule;
  if (!s) return null;
  const armed = state.schedules.get(stageKey(p.name, stage.name));
  const last = armed?.last;
  return {
    cron: s.cron,
    timeZone: s.timeZone,
    onlyIfNew: s.onlyIfNew,
    missed: s.missed,
    next: armed?.next !== undefined ? { at: armed.next, utc: new Date(armed.next).toISOString(), local: formatLocal(armed.next, s.timeZone) } : null,
    last: last ? { dueAt: last.dueAt, at: last.at, fired: last.fired, releaseId: last.releaseId ?? null, runId: last.runId ?? null, reason: last.reason ?? null } : null,
  };
}

export function holdView(state: Readonly<CoreState>, project: string, stage: string): z.infer<typeof HoldView> | null {
  const h = state.holds.get(stageKey(project, stage));
  return h ? { by: h.by, at: h.at, releaseId: h.releaseId, automationWould: h.automationWould, how: h.how } : null;
}

/** Adds each stage's schedule and hold (when it has one) to the status view. */
export function withAutomation<S extends { name: string }>(view: { project: string; stages: S[] }, state: Readonly<CoreState>, p: Pipeline) {
  return {
    ...view,
    stages: view.stages.map((s) => {
      const stage = p.stages.find((x) => x.name === s.name);
      const schedule = stage ? scheduleView(state, p, stage) : null;
      const hold = holdView(state, p.name, s.name);
      return { ...s, ...(schedule ? { schedule } : {}), ...(hold ? { hold } : {}) };
    }),
  };
}

export function automationRoutes(app: Api, slipway: Slipway): void {
  const { engine } = slipway;

  app.get('/api/v1/projects/:project/automation', {
    config: { scope: 'read' },
    schema: { summary: 'How releases enter each stage: auto, manual or a schedule (next fire time, last outcome), and promotion holds', params: ProjectParams, response: { 200: AutomationView, ...errors } },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      return {
        project: p.name,
        stages: p.stages.map((s) => ({
          stage: s.name,
          promotion: s.promotion,
          selection: s.promotion === 'manual' ? null : selectionOf(s),
          schedule: scheduleView(engine.view, p, s),
          hold: holdView(engine.view, p.name, s.name),
        })),
      };
    },
  });

  app.post('/api/v1/projects/:project/stages/:stage/resume-auto', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Lift the hold on automatic promotion into a stage (set when a person chose an older release there); recorded as a promotion.resumed event',
      params: ProjectParams.extend({ stage: Name }),
      body: z.object({ reason: z.string().max(500).optional().describe('why automation may take over again; recorded in the event') }),
      response: { 200: z.object({ project: z.string(), stage: z.string(), resumed: z.literal(true), heldBy: z.string(), heldAt: z.number().int(), heldRelease: z.string() }), ...errors },
    },
    handler: async (req) => {
      const { project, stage } = req.params;
      requirePipeline(slipway, project);
      const before = holdView(engine.view, project, stage);
      const d = await engine.apply({ type: 'promotion.resume', id: randomUUID(), project, stage, by: by(req.identity), ...(req.body.reason !== undefined ? { reason: req.body.reason } : {}) });
      return { project, stage, resumed: true as const, heldBy: before?.by ?? '', heldAt: before?.at ?? 0, heldRelease: d.value?.releaseId ?? before?.releaseId ?? '' };
    },
  });
}
