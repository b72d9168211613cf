/**
 * The flags as served: an in-process copy of every stage's committed rollouts, updated from
 * the engine's `flag.changed` events after each commit (never from state a commit may still
 * lose), so an evaluation reads two maps and hashes one string: no store, no engine queue.
 * Which project and stage: the context's `project` (optional while one project declares the
 * flag) and `stage` (required: a flag's rollout is per stage).
 */
import { createHash } from 'node:crypto';
import type { FlagChangedData, FlagRollout, FlagState, Pipeline, SlipwayEvent } from '../core/index.js';
import { eventTypes, findStage, flagKey } from '../core/index.js';
import type { Evaluation, EvaluationContext, EvaluationFailure, OfrepErrorCode } from './evaluate.js';
import { evaluateFlag, isFailure } from './evaluate.js';

export interface FlagBookDeps {
  pipeline(project: string): Pipeline | undefined;
  pipelines(): Iterable<Pipeline>;
}

/** A request-level failure (the whole bulk answer, or a single flag's). */
export interface Refusal {
  status: 400 | 404;
  /** OFREP's fields, beside the API's own `code` and `message` (the error registry's shape every route answers in). */
  body: { key?: string; errorCode: OfrepErrorCode; errorDetails: string; code: 'INVALID_INPUT' | 'UNKNOWN_FLAG'; message: string; field?: string };
}

export interface BulkAnswer {
  flags: Evaluation[];
  etag: string;
}

export class FlagBook {
  private readonly rollouts = new Map<string, FlagRollout>();

  constructor(private readonly deps: FlagBookDeps) {}

  load(states: Iterable<FlagState>): void {
    for (const s of states) this.rollouts.set(flagKey(s.project, s.stage, s.flag), s.rollout);
  }

  /** Hand it every committed event; it keeps the flag changes. */
  apply(ev: SlipwayEvent): void {
    if (ev.type !== eventTypes.flagChanged) return;
    const d = ev.data as unknown as FlagChangedData;
    this.rollouts.set(flagKey(ev.project, d.stage, d.flag), d.to);
  }

  rollout(project: string, stage: string, flag: string): FlagRollout | undefined {
    return this.rollouts.get(flagKey(project, stage, flag));
  }

  /** POST /ofrep/v1/evaluate/flags/{key}. */
  evaluate(key: string, context: EvaluationContext): Evaluation | Refusal {
    const where = this.locate(context, key);
    if ('status' in where) return where;
    const spec = where.pipeline.flags?.[key];
    if (!spec || !Object.hasOwn(where.pipeline.flags ?? {}, key)) {
      return notFound(key, `flag '${key}' is not declared by project '${where.pipeline.name}'; declared flags: ${Object.keys(where.pipeline.flags ?? {}).join(', ') || '(none)'}`);
    }
    const e = evaluateFlag(key, spec, this.rollouts.get(flagKey(where.pipeline.name, where.stage, key)), context);
    return isFailure(e) ? e : { ...e, metadata: { project: where.pipeline.name, stage: where.stage } };
  }

  /** POST /ofrep/v1/evaluate/flags: every flag of the project, with an ETag over the answer. */
  evaluateAll(context: EvaluationContext): BulkAnswer | Refusal {
    const where = this.locate(context);
    if ('status' in where) return where;
    const flags = Object.entries(where.pipeline.flags ?? {}).map(([key, spec]) => evaluateFlag(key, spec, this.rollouts.get(flagKey(where.pipeline.name, where.stage, key)), context));
    const etag = `"${createHash('sha1').update(JSON.stringify(flags)).digest('base64url')}"`;
    return { flags, etag };
  }

  /** The project (the context's, or the only one that fits) and the stage the context names. */
  private locate(context: EvaluationContext, key?: string): { pipeline: Pipeline; stage: string } | Refusal {
    const named = context['project'];
    let pipeline: Pipeline | undefined;
    if (named !== undefined) {
      pipeline = typeof named === 'string' ? this.deps.pipeline(named) : undefined;
      if (!pipeline) return invalid(key, `context.project ${JSON.stringify(named)} is not a project here; projects: ${this.projectNames().join(', ') || '(none)'}`);
    } else {
      const candidates = [...this.deps.pipelines()].filter((p) => (key === undefined ? Object.keys(p.flags ?? {}).length > 0 : Object.hasOwn(p.flags ?? {}, key)));
      if (candidates.length === 0 && key !== undefined) return notFound(key, `no project here declares flag '${key}'`);
      if (candidates.length !== 1) return invalid(key, `${candidates.length === 0 ? 'no project here declares flags' : `projects ${candidates.map((p) => p.name).join(', ')} declare ${key === undefined ? 'flags' : `flag '${key}'`}`}; set context.project`);
      pipeline = candidates[0]!;
    }
    const stage = context['stage'];
    const stages = pipeline.stages.map((s) => s.name).join(', ');
    if (typeof stage !== 'string' || stage === '') return invalid(key, `the context needs a stage (whose rollout applies), e.g. {"context": {"targetingKey": "user-42", "stage": "production"}}; stages of project '${pipeline.name}': ${stages}`);
    if (!findStage(pipeline, stage)) return invalid(key, `context.stage '${stage}' is not a stage of project '${pipeline.name}'; stages: ${stages}`);
    return { pipeline, stage };
  }

  private projectNames(): string[] {
    return [...this.deps.pipelines()].map((p) => p.name).sort();
  }
}

export function isRefusal(x: object): x is Refusal {
  return 'status' in x;
}

function invalid(key: string | undefined, errorDetails: string): Refusal {
  return { status: 400, body: { ...(key !== undefined ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails, code: 'INVALID_INPUT', message: errorDetails, field: 'context' } };
}

function notFound(key: string, errorDetails: string): Refusal {
  return { status: 404, body: { key, errorCode: 'FLAG_NOT_FOUND', errorDetails, code: 'UNKNOWN_FLAG', message: errorDetails } };
}

export type { EvaluationFailure };
