/** Schemas every route group uses: the error body, path parameters, results. */
import { z } from 'zod';
import { Results } from '../../core/index.js';
import { MAX_FREE_JSON_BYTES, MAX_JSON_DEPTH, fieldPath, jsonBytes, tooDeepAt } from '../json-limits.js';

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
/** Any JSON object, unbounded: for answers. What clients send goes through BoundedJson. */
export const Json = z.record(z.string(), z.unknown());
/**
 * A free-form JSON object a client sends (`output`, `payload`): nested at most
 * MAX_JSON_DEPTH deep and at most MAX_FREE_JSON_BYTES as JSON, so the engine can always
 * serialize it and the log stays bounded.
 */
export const BoundedJson = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const deep = tooDeepAt(value, MAX_JSON_DEPTH);
    if (deep) {
      ctx.addIssue({ code: 'custom', message: `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (at ${fieldPath(deep)} within it); flatten it` });
      return;
    }
    const bytes = jsonBytes(value);
    if (bytes > MAX_FREE_JSON_BYTES) {
      ctx.addIssue({ code: 'custom', message: `is ${bytes} bytes as JSON, more than the ${MAX_FREE_JSON_BYTES} accepted; keep large data elsewhere and send a link` });
    }
  })
  .describe(`a JSON object, at most ${MAX_FREE_JSON_BYTES} bytes as JSON, nested at most ${MAX_JSON_DEPTH} deep`);

export const ProjectParams = z.object({ project: Name });
export const TaskParams = z.object({ taskId: Name.describe('task id: <runId>.<task>.<attempt>') });
export const RunParams = z.object({ runId: Name });
export const IdParams = z.object({ id: Name });

/** A UTC ms timestamp, or null where the thing has not happened. */
export const Ms = z.number().int().nullable();

/** What an executor reports when a task ends (finish route and `.finished` event data alike). */
export const FinishBody = z.object({ result: ResultSchema, message: z.string().max(10_000).optional(), output: BoundedJson.optional() });
