/**
 * A stage's `promotion` in slipway.yaml: `auto` (follow upstream), `manual`, or an object with
 * a `schedule` (cron in a zone) and a `selection` (which release automation brings).
 */
import { z } from 'zod';
import type { ScheduleSpec, Selection, StageSpec } from '../core/index.js';
import { scheduleCronProblem, timeZoneProblem } from '../triggers/index.js';
import { strict } from './fields.js';
import { show } from './problems.js';

function judged(what: string, problem: (s: string) => string | undefined) {
  return z.string({ error: (iss) => (iss.input === undefined ? undefined : `expected ${what}, got ${show(iss.input)}`) }).check((ctx) => {
    const message = problem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });
}

const zone = judged('an IANA time zone', timeZoneProblem);

const scheduleSchema = strict({
  cron: judged('a cron pattern', scheduleCronProblem).meta({ description: "When a release enters: five fields in timezone's wall clock, e.g. '0 3 * * *' (03:00 every day)." }),
  timezone: zone.optional().meta({ description: 'IANA zone the cron is read in, e.g. Europe/Berlin (default UTC).' }),
  timeZone: zone.optional().meta({ description: 'Same as timezone (the spelling freeze windows use); set one of them.' }),
  onlyIfNew: z.boolean().default(false).meta({ description: 'Skip a fire when the selected release already ran in this stage.' }),
  missed: z
    .enum(['run-once', 'skip'])
    .default('run-once')
    .meta({ description: 'Fire times that passed while Slipway was down: run-once (default: one fire at start, however many were missed) or skip.' }),
})
  .refine((s) => s.timezone === undefined || s.timeZone === undefined, { error: 'set timezone or timeZone, not both', path: ['timeZone'] })
  .meta({ id: 'Schedule', description: 'A promotion schedule: at each time the cron names, the selected release enters the stage.' });

const selection = z.enum(['newest', 'matchUpstream']).meta({
  description: 'Which release automation brings: newest (the newest that passed the stages this one follows) or matchUpstream (what those stages run now).',
});

const promotionObject = strict({
  schedule: scheduleSchema.optional(),
  selection: selection.optional(),
}).refine((o) => o.schedule !== undefined || o.selection !== undefined, { error: 'needs schedule ({cron, timezone}) or selection (newest, matchUpstream); for plain automatic promotion write auto' });

export const promotionSchema = z
  .union([z.enum(['auto', 'manual'], { error: (iss) => `${show(iss.input)} is not a promotion; valid: auto, manual, or {schedule: {cron, timezone}, selection}` }), promotionObject], {
    error: (iss) => `expected auto, manual or {schedule: {cron, timezone}, selection}, got ${show(iss.input)}`,
  })
  .default('auto')
  .meta({
    description:
      'auto: enter when upstream passed (matchUpstream); manual: on request; {schedule: {cron, timezone, onlyIfNew, missed}, selection}: at the times the cron names; {selection: newest}: auto, never older than what the stage has.',
  });

export type SlipwayPromotion = z.output<typeof promotionSchema>;

/** Whether the stage's promotion has a schedule (for the check that it follows some stage). */
export function hasSchedule(p: SlipwayPromotion): boolean {
  return typeof p !== 'string' && p.schedule !== undefined;
}

export function mapPromotion(p: SlipwayPromotion): Pick<StageSpec, 'promotion' | 'schedule' | 'selection'> {
  if (p === 'manual') return { promotion: 'manual' };
  if (p === 'auto') return { promotion: 'auto', selection: 'matchUpstream' };
  const s = p.schedule;
  if (!s) return { promotion: 'auto', selection: p.selection ?? 'newest' };
  const schedule: ScheduleSpec = { cron: s.cron.trim(), timeZone: s.timezone ?? s.timeZone ?? 'UTC', onlyIfNew: s.onlyIfNew, missed: s.missed };
  const sel: Selection = p.selection ?? 'newest';
  return { promotion: 'schedule', schedule, selection: sel };
}
