/** Schemas every route group uses: the error body, path parameters, results. */
import { z } from 'zod';
import { Results } from '../../core/index.js';

export const ErrorBody = z
  .looseObject({
    code: z.string().describe('stable error code from the registry (src/core/errors.ts)'),
    message: z.string().describe('what went wrong and how to fix it'),
    field: z.string().optional().describe('the field or parameter at fault'),
  });

/** Added to every route's responses, so the OpenAPI document shows the error shape. */
export const errors = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const Name = z.string().min(1).max(200);
export const ResultSchema = z.enum(Results);
export const Json = z.record(z.string(), z.unknown());

export const ProjectParams = z.object({ project: Name });
export const TaskParams = z.object({ taskId: Name.describe('task id: <runId>.<task>.<attempt>') });
export const RunParams = z.object({ runId: Name });
export const IdParams = z.object({ id: Name });

/** A UTC ms timestamp, or null where the thing has not happened. */
export const Ms = z.number().int().nullable();

/** What an executor reports when a task ends (finish route and `.finished` event data alike). */
export const FinishBody = z.object({ result: ResultSchema, message: z.string().max(10_000).optional(), output: Json.optional() });
