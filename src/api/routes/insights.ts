/** Delivery insights (scope read): the DORA figures and cycle time per stage of a project. */
import { z } from 'zod';
import { computeDora } from '../../insights/index.js';
import type { Slipway } from '../../main.js';
import { Name, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { parseInstant } from './audit.js';
import { requirePipeline } from './projects.js';

const When = z.string().max(64).describe('UTC milliseconds or an RFC 3339 time');
const On = z.object({ deployments: z.number().int().describe('how many deployments (or arrivals) the figure rests on') });
const Dur = On.extend({ medianMs: z.number().nullable().describe('median in ms; null when there is nothing to take it over') });
const RateOf = On.extend({ rate: z.number().nullable().describe('0..1; null without deployments'), count: z.number().int() });

export const DoraAnswer = z.object({
  project: z.string(),
  stage: z.string().describe('the stage counted as production'),
  from: z.number().int(),
  to: z.number().int(),
  deploymentFrequency: On.extend({
    perDay: z.number(),
    bucket: z.enum(['daily', 'weekly', 'monthly', 'yearly']).nullable().describe('the Four Keys bucket; null without deployments'),
    medianDeployDaysPerWeek: z.number(),
    medianWeeksDeployedPerMonth: z.number(),
    weeks: z.number().int(),
  }),
  changeLeadTime: Dur.extend({ ignored: z.number().int().describe('arrivals without a commit time or with a non-positive one'), fromFirstCommit: Dur.extend({ ignored: z.number().int() }) }),
  changeFailRate: RateOf,
  failedDeploymentRecoveryTime: Dur.extend({ failures: z.number().int(), unrecovered: z.number().int() }),
  deploymentReworkRate: RateOf,
  cycleTime: z.array(Dur.extend({ stage: z.string(), ignored: z.number().int() })),
});

const DoraQuery = z.object({
  project: Name,
  stage: Name.optional().describe("the production stage (default: the pipeline's last stage)"),
  from: When.optional().describe('window start (default: 90 days before to)'),
  to: When.optional().describe('window end, exclusive (default: now)'),
});

export function insightsRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/insights/dora', {
    config: { scope: 'read' },
    schema: { summary: 'DORA figures and cycle time per stage, computed from the event log', querystring: DoraQuery, response: { 200: DoraAnswer, ...errors } },
    handler: async (req) => {
      const q = req.query;
      return computeDora(
        slipway.store,
        requirePipeline(slipway, q.project),
        {
          project: q.project,
          ...(q.stage !== undefined ? { stage: q.stage } : {}),
          ...(q.from !== undefined ? { from: parseInstant(q.from, 'from') } : {}),
          ...(q.to !== undefined ? { to: parseInstant(q.to, 'to') } : {}),
        },
        slipway.clock.now(),
      );
    },
  });
}
