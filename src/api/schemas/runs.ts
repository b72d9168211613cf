/** Runs and their tasks as the API shows them (times in UTC ms, null where nothing happened). */
import { z } from 'zod';
import { RunStates, TaskStates } from '../../core/index.js';
import { Ms, ResultSchema } from './common.js';

export const TaskView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    step: z.number().int(),
    state: z.enum(Object.values(TaskStates)),
    attempt: z.number().int(),
    result: ResultSchema.nullable(),
    message: z.string().nullable(),
    triggeredAt: Ms,
    startedAt: Ms,
    finishedAt: Ms,
    waitUntil: Ms,
    waitingFor: z.string().nullable(),
    by: z.string().nullable(),
  });

export const RunStateSchema = z.enum(Object.values(RunStates));

export const RunView = z
  .object({
    id: z.string(),
    project: z.string(),
    stage: z.string(),
    sequence: z.string(),
    releaseId: z.string(),
    services: z.array(z.string()),
    state: RunStateSchema,
    result: ResultSchema.nullable(),
    step: z.number().int(),
    queuedAt: z.number().int(),
    startedAt: Ms,
    finishedAt: Ms,
    reason: z.string().nullable(),
    triggeredBy: z.string().nullable(),
    pipelineVersion: z.string(),
    tasks: z.array(TaskView),
    queueSeq: z.number().int().optional().describe('order among the project\'s queued runs: a later run of a stage replaces an earlier one in a release\'s outcome'),
    cause: z.enum(['rollback']).nullable().optional().describe('`rollback`: the run puts an earlier release back into the stage'),
    carriedResult: ResultSchema.nullable().optional().describe('the result of the run whose finish queued this one (Keptn carries it): an approval first in the sequence decides on it; `fail` marks a reaction to a failure (rollback, remediation)'),
    carriedFrom: z.string().nullable().optional().describe('the run whose finish queued this one'),
    rolledBackTo: z.string().nullable().optional().describe('on a failed run: the earlier release Slipway put back into the stage'),
    loopStopped: z.string().nullable().optional().describe('the run did not trigger its own sequence again: maxRemediationLoops was reached (why)'),
    origin: z.enum(['person', 'automation']).nullable().optional().describe('who set it off: a person, or automation (auto promotion, schedules); freeze windows for automation hold only the latter'),
    frozen: z
      .object({ windows: z.array(z.string()), until: z.number().int(), since: z.number().int(), atLeast: z.boolean(), reason: z.string().nullable() })
      .nullable()
      .optional()
      .describe('while queued: the freeze window holding it back, and until when (UTC ms)'),
    freezeOverride: z
      .object({ by: z.string(), reason: z.string(), at: z.number().int(), windows: z.array(z.string()) })
      .nullable()
      .optional()
      .describe('an admin let it through a freeze window: who, why, when'),
  });

export const RunList = z.object({ runs: z.array(RunView), nextCursor: z.string().nullable() });

export const RunQuery = z.object({
  project: z.string().optional(),
  stage: z.string().optional(),
  release: z.string().optional(),
  service: z.string().optional().describe("only runs whose release holds this service (a bracket holds several)"),
  state: z.union([RunStateSchema, z.array(RunStateSchema)]).optional().describe('repeat for several states'),
  cursor: z.string().regex(/^\d+$/, 'a cursor is the nextCursor of the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const ControlBody = z.object({ reason: z.string().max(2000).optional() });
export const ControlAnswer = z.object({ runId: z.string(), state: RunStateSchema });
