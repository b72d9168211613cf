/**
 * Outside executors pull tasks of kinds no built-in executor serves. Dispatched tasks of
 * such kinds wait here (rebuilt after a restart from the outbox); a claim turns one into
 * a leased, started task through the engine, so the claim itself is durable. Each claim
 * gets a fresh random lease token: the claimer's later reports need it (the core keeps
 * only its hash), so no other executor can start, renew or end that task.
 */
import { randomBytes } from 'node:crypto';
import type { Decision, Input, Run, SlipwayEvent } from '../core/index.js';
import { SLIPWAY_ACTOR, SlipwayError, parseTaskId } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { EngineEmitter } from './emitter.js';
import type { SecretResolver } from './executor.js';

export interface ClaimRequest {
  kinds: string[];
  executor: string;
  leaseMs: number;
  /** How long to wait for a task when none is available now. */
  waitMs: number;
  /** Who asks (token identity), recorded in the started event. */
  by?: string;
  /** Kinds the claimer's token serves (`execute:<kind>` scopes); absent: every kind. */
  scopeKinds?: readonly string[];
  signal?: AbortSignal;
}

export interface ClaimedTask {
  task: { id: string; name: string; kind: string; attempt: number; properties: Readonly<Record<string, unknown>>; deadline: number | undefined };
  run: { id: string; project: string; stage: string; sequence: string; releaseId: string; artifacts: Readonly<Record<string, string>> };
  /** The task's `.triggered` CloudEvent. */
  event: SlipwayEvent | undefined;
  leaseExpiresAt: number;
  /** Proves the claim: heartbeats and reports on the task send it with the executor name. Shown only here. */
  leaseToken: string;
}

export const LEASE_TOKEN_PREFIX = 'sll_';

function newLeaseToken(): string {
  return `${LEASE_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export interface ClaimDeps {
  emitter: EngineEmitter;
  store: Store;
  apply: (input: Input) => Promise<Decision>;
  run: (runId: string) => Run | undefined;
  artifacts: (releaseId: string) => Readonly<Record<string, string>>;
  /** The claimer gets its own task's `${secret:NAME}` references resolved. */
  secrets?: SecretResolver;
}

export class Claims {
  /** Task ids by kind, in dispatch order. */
  private readonly waiting = new Map<string, Set<string>>();
  /** Claims waiting for a task of one of their kinds (long-poll); one emitter listener serves them all. */
  private readonly waiters = new Set<{ kinds: string[]; wake: () => void }>();

  constructor(private readonly deps: ClaimDeps) {
    deps.emitter.on('task:unserved', ({ taskId, kind }) => {
      let ids = this.waiting.get(kind);
      if (!ids) this.waiting.set(kind, (ids = new Set()));
      ids.add(taskId);
      for (const w of this.waiters) if (w.kinds.includes(kind)) w.wake();
    });
  }

  /** Number of tasks waiting for an outside executor, by kind. */
  backlog(): Record<string, number> {
    return Object.fromEntries([...this.waiting].map(([k, ids]) => [k, ids.size]));
  }

  async claim(req: ClaimRequest): Promise<ClaimedTask | undefined> {
    // A claimer already gone (its client closed the connection) takes nothing.
    if (req.signal?.aborted) return undefined;
    const got = await this.tryClaim(req);
    if (got || req.waitMs <= 0) return got;
    const deadline = Date.now() + req.waitMs;
    while (Date.now() < deadline && !req.signal?.aborted) {
      const arrived = await this.nextArrival(req.kinds, deadline - Date.now(), req.signal);
      if (!arrived) return undefined;
      const again = await this.tryClaim(req);
      if (again) return again;
    }
    return undefined;
  }

  private async tryClaim(req: ClaimRequest): Promise<ClaimedTask | undefined> {
    for (const kind of req.kinds) {
      const ids = this.waiting.get(kind);
      for (const taskId of [...(ids ?? [])]) {
        ids!.delete(taskId);
        const leaseToken = newLeaseToken();
        const d = await this.deps.apply({
          type: 'task.claimed',
          id: `${taskId}.claimed`,
          taskId,
          executor: req.executor,
          leaseMs: req.leaseMs,
          leaseToken,
          by: req.by ?? `executor:${req.executor}`,
          ...(req.scopeKinds ? { kinds: req.scopeKinds } : {}),
        }).catch((e: unknown) => {
          if (e instanceof SlipwayError) return undefined;
          ids!.add(taskId); // the store failed: leave it claimable
          throw e;
        });
        if (!d || d.error || d.ignored !== undefined) continue; // taken meanwhile, or its run ended
        return this.describe(taskId, d.value?.leaseExpiresAt ?? 0, leaseToken);
      }
    }
    return undefined;
  }

  private async describe(taskId: string, leaseExpiresAt: number, leaseToken: string): Promise<ClaimedTask | undefined> {
    const parsed = parseTaskId(taskId)!;
    const run = this.deps.run(parsed.runId);
    const task = run?.tasks.find((t) => t.name === parsed.task);
    if (!run || !task) return undefined;
    const spec = run.spec.steps.flatMap((s) => s.tasks).find((t) => t.name === task.name);
    const properties = await this.resolved(spec?.properties ?? {}, taskId, task);
    if (!properties) return undefined;
    const events = await this.deps.store.events({ runId: run.id, types: [`sh.slipway.task.${task.name}.triggered`] });
    const event = events.map((e) => e.event).reverse().find((e) => e.taskid === taskId);
    return {
      task: { id: taskId, name: task.name, kind: task.kind, attempt: task.attempt, properties, deadline: task.deadline },
      run: { id: run.id, project: run.project, stage: run.stage, sequence: run.sequence, releaseId: run.releaseId, artifacts: this.deps.artifacts(run.releaseId) },
      event,
      leaseExpiresAt,
      leaseToken,
    };
  }

  /** The claimer's copy of the properties; a secret deleted since dispatch fails the task (undefined) instead of the claim. */
  private async resolved(props: Readonly<Record<string, unknown>>, id: string, task: { name: string; kind: string }): Promise<Readonly<Record<string, unknown>> | undefined> {
    try {
      return this.deps.secrets ? this.deps.secrets.resolve(props, { id, name: task.name, kind: task.kind }) : props;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await this.deps.apply({ type: 'task.finished', id: `${id}.finished`, taskId: id, by: 'slipway', actor: SLIPWAY_ACTOR, result: 'fail', retryable: false, message }).catch(() => undefined);
      return undefined;
    }
  }

  private nextArrival(kinds: string[], ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = { kinds, wake: () => done(true) };
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort);
    });
  }
}
