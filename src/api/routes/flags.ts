/**
 * Feature flags over the API: each flag of a project with its rollout per stage (scope
 * read), and setting one by hand (scope trigger; a flag.set input, so it is an event and an
 * audit row like a flag task's change, recorded for the release the stage serves).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FlagRollout, FlagState, Pipeline } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { Name, ProjectParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requirePipeline } from './projects.js';

const Rule = z.object({
  attribute: Name.describe('a context attribute, e.g. email'),
  op: z.enum(['equals', 'startsWith', 'endsWith', 'in']),
  value: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(1000).readonly()]),
  variant: Name,
});
const Rollout = z.object({
  variant: Name.describe('the variant rolled out'),
  percent: z.number().min(0).max(100).describe('share of users (by targeting key) who get it; the rest get the default'),
  rules: z.array(Rule).max(100).readonly().optional().describe('users matching a rule get its variant, whatever the share'),
});
const StageFlag = Rollout.extend({
  stage: z.string(),
  set: z.boolean().describe('false: never set in this stage, everybody gets the default'),
  releaseId: z.string().optional().describe('the release the stage had when it was set'),
  runId: z.string().optional().describe('the run whose flag task set it'),
  by: z.string().optional(),
  at: z.number().int().optional(),
});
export const FlagsView = z.object({
  project: z.string(),
  flags: z.array(z.object({ flag: z.string(), default: z.string(), variants: z.record(z.string(), z.unknown()), stages: z.array(StageFlag) })),
});

export function flagsView(p: Pipeline, states: readonly FlagState[]): z.infer<typeof FlagsView> {
  const byKey = new Map(states.map((s) => [`${s.stage}\0${s.flag}`, s]));
  return {
    project: p.name,
    flags: Object.entries(p.flags ?? {}).map(([flag, spec]) => ({
      flag,
      default: spec.default,
      variants: spec.variants,
      stages: p.stages.map((st) => {
        const s = byKey.get(`${st.name}\0${flag}`);
        const r: FlagRollout = s?.rollout ?? { variant: spec.default, percent: 0 };
        return { stage: st.name, set: s !== undefined, ...r, ...(s ? { at: s.at, ...pick(s) } : {}) };
      }),
    })),
  };
}

function pick(s: FlagState): { releaseId?: string; runId?: string; by?: string } {
  return { ...(s.releaseId !== undefined ? { releaseId: s.releaseId } : {}), ...(s.runId !== undefined ? { runId: s.runId } : {}), ...(s.by !== undefined ? { by: s.by } : {}) };
}

export function flagRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/projects/:project/flags', {
    config: { scope: 'read' },
    schema: { summary: "The project's feature flags and each one's rollout per stage", params: ProjectParams, response: { 200: FlagsView, ...errors } },
    handler: async (req) => flagsView(requirePipeline(slipway, req.params.project), await slipway.store.flagStates(req.params.project)),
  });

  app.put('/api/v1/projects/:project/stages/:stage/flags/:flag', {
    config: { scope: 'trigger' },
    schema: {
      summary: "Set a flag's rollout in a stage by hand (audited; recorded for the release the stage serves, so a rollback past it restores the earlier rollout)",
      params: ProjectParams.extend({ stage: Name, flag: Name }),
      body: Rollout.extend({ reason: z.string().max(500).optional() }),
      response: { 200: FlagsView, ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      const { reason, ...rollout } = req.body;
      await slipway.engine.apply({
        type: 'flag.set',
        id: randomUUID(),
        by: by(req.identity),
        project: p.name,
        stage: req.params.stage,
        flag: req.params.flag,
        rollout,
        ...(reason !== undefined ? { reason } : {}),
      });
      return flagsView(p, await slipway.store.flagStates(p.name));
    },
  });
}
