/**
 * `spec.freezes` in slipway.yaml: windows when stages take no new runs. Fields are checked
 * where they stand (a bad cron, an unknown zone, `to` before `from`), stage names against
 * the pipeline's stages, so each error names its file:line:col and field.
 */
import { z } from 'zod';
import type { FreezeWindowSpec, SourceRef } from '../core/index.js';
import { LOCAL_HINT, cronProblem, datedProblem, localProblem, timeZoneProblem } from '../triggers/index.js';
import { parseDuration } from './duration.js';
import { duration, name, strict } from './fields.js';
import type { Path } from './problems.js';
import { list, show } from './problems.js';

/** A string field whose value `problem` judges (undefined: fine). */
function judged(what: string, problem: (s: string) => string | undefined) {
  return z.string({ error: (iss) => (iss.input === undefined ? undefined : `expected ${what}, got ${show(iss.input)}`) }).check((ctx) => {
    const message = problem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });
}

const stageSelector = z
  .union([z.literal('*'), name('stage')], { error: (iss) => `expected a stage name or '*', got ${show(iss.input)}` })
  .meta({ description: "A stage name, or '*' for every stage." });

export const freezeSchema = strict({
  name: name('freeze window').meta({ description: 'Unique within the pipeline; named in events, status and messages.' }),
  stages: z.array(stageSelector).min(1).default(['*']).meta({ description: "Stages it holds; ['*'] (the default): all." }),
  cron: judged('a cron pattern', cronProblem)
    .optional()
    .meta({ description: "Recurring: when each window starts, five fields in timeZone's wall clock, e.g. '0 16 * * 5' (Fridays 16:00)." }),
  duration: duration('a freeze window', false)
    .optional()
    .meta({ description: "Recurring: how long each window lasts on timeZone's wall clock (Fri 16:00 + 64h is Mon 08:00 local, across clock changes)." }),
  from: judged('a local date-time', localProblem).optional().meta({ description: `Dated: when it starts, ${LOCAL_HINT}, in timeZone.` }),
  to: judged('a local date-time', localProblem).optional().meta({ description: `Dated: when it ends, ${LOCAL_HINT}, in timeZone.` }),
  timeZone: judged('an IANA time zone', timeZoneProblem).meta({ description: 'IANA zone the cron and the dated times are read in, e.g. Europe/Berlin or UTC.' }),
  appliesTo: z
    .enum(['automation', 'everyone'])
    .default('everyone')
    .meta({ description: 'automation: holds auto promotion, schedules and webhooks while people may still trigger and promote; everyone (default): holds both.' }),
  reason: z.string().max(500).optional().meta({ description: 'Why, shown with every run it holds.' }),
})
  .check((ctx) => {
    const f = ctx.value;
    const recurring = f.cron !== undefined || f.duration !== undefined;
    const dated = f.from !== undefined || f.to !== undefined;
    const push = (path: Path, message: string): void => {
      ctx.issues.push({ code: 'custom', message, input: f, path: [...path] });
    };
    if (recurring && dated) return push([f.cron !== undefined ? 'cron' : 'duration'], 'set either cron and duration (recurring) or from and to (dated), not both');
    if (!recurring && !dated) return push([], 'needs cron and duration (a recurring window) or from and to (a dated one)');
    const missing = recurring ? (['cron', 'duration'] as const).filter((k) => f[k] === undefined) : (['from', 'to'] as const).filter((k) => f[k] === undefined);
    if (missing.length > 0) return push([], `a ${recurring ? 'recurring' : 'dated'} window needs ${missing.join(' and ')}`);
    if (dated) {
      const message = datedProblem(f.from!, f.to!, f.timeZone);
      if (message !== undefined) push(['to'], message);
    }
  })
  .meta({ id: 'Freeze', description: 'A freeze window: stages take no new runs while it holds.', oneOf: [{ required: ['cron', 'duration'] }, { required: ['from', 'to'] }] });

export type SlipwayFreeze = z.output<typeof freezeSchema>;

/** Problems for stage names the windows select that the pipeline does not define, and for names used twice. */
export function freezeStageProblems(freezes: readonly SlipwayFreeze[], stages: readonly string[]): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const seen = new Map<string, number>();
  freezes.forEach((f, i) => {
    const first = seen.get(f.name);
    if (first !== undefined) out.push({ path: [i, 'name'], message: `freeze window '${f.name}' is defined twice (first at freezes[${first}]); names must be unique` });
    else seen.set(f.name, i);
    f.stages.forEach((s, j) => {
      if (s !== '*' && !stages.includes(s)) out.push({ path: [i, 'stages', j], message: `stage '${s}' is not defined; defined stages: ${list(stages)}, or '*' for all` });
    });
  });
  return out;
}

export function mapFreeze(f: SlipwayFreeze, source: SourceRef): FreezeWindowSpec {
  const when: FreezeWindowSpec['when'] =
    f.cron !== undefined ? { kind: 'recurring', cron: f.cron.trim(), durationMs: parseDuration(f.duration ?? '0') } : { kind: 'dated', from: f.from ?? '', to: f.to ?? '' };
  return {
    name: f.name,
    stages: f.stages,
    appliesTo: f.appliesTo,
    timeZone: f.timeZone,
    when,
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    source,
  };
}
