/**
 * Keptn's executor API over Slipway's engine. Keptn executors (through Keptn's distributor,
 * or go-utils' cp-connector) poll the open `.triggered` events of their task and answer with
 * `.started`, `.status.changed` and `.finished` events naming the `.triggered` one in
 * `triggeredid`. Here a `.triggered` event is a Slipway task waiting for an outside executor,
 * in Keptn's dialect; the answers become Slipway's claim, heartbeat and finish inputs.
 *
 * Keptn executors never see a lease token, so the server makes it: an HMAC, under a key kept
 * in the data directory, of the task, the event's `source` and the token that sent it. The first
 * `.started` (or a `.finished` without one) claims the task with it; later events from the same
 * source and token give the same lease token again, even after a restart, and the core refuses
 * any other source or token (NOT_CLAIM_HOLDER), as for Slipway's own executors. The claim's
 * lease is long, because Keptn executors send no heartbeat unless they post `.status.changed`.
 *
 * A release of several services is one Slipway task but one Keptn `.triggered` per service
 * (see dialect.ts); the task finishes when every service's `.finished` arrived, with the worst
 * result, and each service's data kept under `output.services.<service>`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutorActor, Result, Run, TaskRun } from '../core/index.js';
import { SlipwayError, parseTaskId } from '../core/index.js';
import type { Engine } from '../engine/index.js';
import { KEPTN_OUTSIDE_PREFIX } from '../spec/index.js';
import type { Store } from '../store/index.js';
import type { KeptnEvent, KeptnStatus } from './dialect.js';
import { COMMON_KEYS } from './dialect.js';
import { KeptnFold } from './stream.js';
import { keptnProject, speaksKeptn } from './switch.js';

/** The executor name a push subscription claims as (src/api/push): `subscription:<id>`. */
export const SUBSCRIPTION_PREFIX = 'subscription:';

/** How long a Keptn executor's claim lasts without a `.status.changed` (Keptn executors do not heartbeat). */
export const KEPTN_LEASE_MS = 3_600_000;

export interface KeptnApiDeps {
  engine: Pick<Engine, 'apply' | 'heartbeat' | 'view'>;
  store: Pick<Store, 'events' | 'getRun' | 'putKeptnPartial' | 'keptnPartials' | 'deleteKeptnPartials'>;
  /** The key lease tokens are made with (default: one per process, so claims do not outlive it). */
  leaseKey?: () => Promise<Buffer>;
}

const LEASE_KEY_FILE = 'keptn-lease.key';

/** The data directory's lease key, made on first use (readable by the server's user only). */
export function leaseKeyIn(dataDir: string): () => Promise<Buffer> {
  let key: Promise<Buffer> | undefined;
  const file = join(dataDir, LEASE_KEY_FILE);
  const load = async (): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      const fresh = randomBytes(32);
      await writeFile(file, fresh, { mode: 0o600, flag: 'wx' });
      return fresh;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file);
      throw e;
    }
  };
  return () => (key ??= load().catch((e: unknown) => {
    key = undefined;
    throw e;
  }));
}

export interface TriggeredQuery {
  eventType: string;
  project?: string;
  stage?: string;
  service?: string;
}

export type KeptnPhase = 'started' | 'status.changed' | 'finished';

/** A Keptn event posted by an executor, as far as it is read here. */
export interface PostedKeptnEvent {
  id: string;
  type: string;
  source: string;
  triggeredid?: string;
  shkeptncontext?: string;
  data?: Record<string, unknown>;
}

interface Located {
  run: Run;
  task: TaskRun;
  taskId: string;
  service: string;
  triggered: KeptnEvent;
}

const ORDER: Record<Result, number> = { pass: 0, warning: 1, fail: 2 };

function invalid(message: string, field: string): SlipwayError {
  return new SlipwayError('INVALID_INPUT', message, { field });
}

/**
 * The kinds a token serves, as Keptn names tasks: a Keptn task whose name a built-in executor
 * also has runs as `keptn.<name>` (see spec/keptn-project.ts), and a Keptn user's token says
 * `execute:release`, so that serves `keptn.release` too.
 */
function keptnKinds(kinds: readonly string[] | undefined): readonly string[] | undefined {
  return kinds?.flatMap((k) => (k.startsWith(KEPTN_OUTSIDE_PREFIX) ? [k] : [k, `${KEPTN_OUTSIDE_PREFIX}${k}`]));
}

/** A Keptn `.finished`'s result; INVALID_INPUT for a result Keptn does not have. */
function resultOf(data: Record<string, unknown>): { result: Result; status: KeptnStatus } {
  const status = data['status'];
  const given = data['result'];
  if (given !== undefined && given !== '' && given !== 'pass' && given !== 'warning' && given !== 'fail') {
    throw invalid(`data.result is ${JSON.stringify(given)}; Keptn results are pass, warning or fail`, 'data.result');
  }
  if (status !== undefined && status !== '' && status !== 'succeeded' && status !== 'errored') {
    throw invalid(`data.status is ${JSON.stringify(status)}; a Keptn .finished says succeeded or errored`, 'data.status');
  }
  // Keptn: an errored task failed whatever its result says.
  if (status === 'errored') return { result: 'fail', status: 'errored' };
  return { result: given === 'warning' || given === 'fail' ? given : 'pass', status: 'succeeded' };
}

export class KeptnExecutorApi {
  /** Per open task of several services: those whose `.finished` arrived (the store has their answers). */
  private readonly partials = new Map<string, Set<string>>();

  private readonly leaseKey: () => Promise<Buffer>;
  /** Per project: its log folded so far, up to log position `seq`. */
  private readonly folds = new Map<string, { fold: KeptnFold; seq: number; busy: Promise<void> }>();

  constructor(private readonly deps: KeptnApiDeps) {
    const own = randomBytes(32);
    this.leaseKey = deps.leaseKey ?? (() => Promise.resolve(own));
  }

  /** The lease token of a Keptn executor's claim: the same for the same task, source and token, never known to anyone else. */
  async leaseToken(taskId: string, source: string, by: string): Promise<string> {
    const mac = createHmac('sha256', await this.leaseKey()).update(`${taskId}\0${source}\0${by}`).digest('base64url');
    return `sll_${mac}`;
  }

  /**
   * Tasks of `kind` in projects Keptn's protocol serves that wait for an executor and nobody
   * claimed yet, oldest first, each with its Keptn `.triggered` events (one per service).
   */
  async unclaimed(kind: string): Promise<{ taskId: string; run: Run; task: TaskRun; triggered: KeptnEvent[] }[]> {
    const out: { taskId: string; run: Run; task: TaskRun; triggered: KeptnEvent[] }[] = [];
    for (const project of this.projects(undefined)) {
      for (const t of (await this.fold(project)).tasks.values()) {
        const open = this.openTask(t.taskId);
        if (open?.task.state !== 'triggered' || open.task.claim !== undefined || open.task.kind !== kind) continue;
        out.push({ taskId: t.taskId, ...open, triggered: t.triggered });
      }
    }
    return out;
  }

  /** Open `.triggered` events of a task (`sh.keptn.event.<task>.triggered`), oldest first. */
  async openTriggered(q: TriggeredQuery): Promise<KeptnEvent[]> {
    const m = /^sh\.keptn\.event\.([^.]+)\.triggered$/.exec(q.eventType);
    if (!m) throw invalid(`'${q.eventType}' is not a task's triggered event type; ask for sh.keptn.event.<task>.triggered (e.g. sh.keptn.event.deployment.triggered)`, 'eventType');
    const task = m[1]!;
    const out: KeptnEvent[] = [];
    for (const project of this.projects(q.project)) {
      const fold = await this.fold(project);
      for (const t of fold.tasks.values()) {
        if (t.task !== task) continue;
        const open = this.openTask(t.taskId);
        if (!open) continue;
        const done = t.triggered.length > 1 ? await this.answeredServices(t.taskId) : undefined;
        for (const e of t.triggered) {
          if (done?.has(e.data.service)) continue;
          if (q.stage !== undefined && e.data.stage !== q.stage) continue;
          if (q.service !== undefined && e.data.service !== q.service) continue;
          out.push(e);
        }
      }
    }
    return out;
  }

  /** Applies a Keptn executor's `.started`, `.status.changed` or `.finished`; returns the Keptn context it belongs to. */
  async post(ce: PostedKeptnEvent, who: { by: string; actor: ExecutorActor }): Promise<{ keptnContext: string; applied: boolean }> {
    const m = /^sh\.keptn\.event\.([^.]+)\.(started|status\.changed|finished)$/.exec(ce.type);
    if (!m) {
      throw invalid(
        `event type '${ce.type}' is not accepted here; an executor posts sh.keptn.event.<task>.started, .status.changed or .finished (a sequence is started with slipway trigger, not with a posted .triggered event)`,
        'type',
      );
    }
    const [, taskName, phase] = m as unknown as [string, string, KeptnPhase];
    if (typeof ce.triggeredid !== 'string' || ce.triggeredid === '') throw invalid(`a ${phase} event needs triggeredid: the id of the sh.keptn.event.${taskName}.triggered event it answers`, 'triggeredid');
    const named = ce.data?.['project'];
    const found = await this.locate(ce.triggeredid, typeof named === 'string' && named !== '' ? named : undefined);
    if (!found) throw new SlipwayError('NOT_FOUND', `no open triggered event has id '${ce.triggeredid}' (it was never sent, or its task already ended); poll GET /api/controlPlane/v1/event/triggered/sh.keptn.event.${taskName}.triggered for open ones`, { field: 'triggeredid' });
    if (found.task.name !== taskName) throw invalid(`event type names task '${taskName}' but triggeredid '${ce.triggeredid}' is a '${found.task.name}' task's`, 'type');
    const keptnContext = found.triggered.shkeptncontext;
    // A task a Keptn-dialect push subscription delivered is held by the subscription: its receiver
    // answers as it, and the lease token (made from the token the subscription names) proves it.
    const holder = found.task.claim?.executor;
    const source = holder?.startsWith(SUBSCRIPTION_PREFIX) ? holder : ce.source;
    // A .finished that cannot be applied must not leave a claim behind.
    if (phase === 'finished') resultOf(ce.data ?? {});
    const leaseToken = await this.leaseToken(found.taskId, source, who.by);
    if (phase === 'status.changed' || found.task.claim !== undefined) {
      if (holder !== undefined && holder !== source) {
        throw new SlipwayError('NOT_CLAIM_HOLDER', `task '${found.taskId}' (triggeredid '${found.triggered.id}') is claimed by '${holder}', not by source '${source}'; only the source (and token) that sent its .started may report on it; nothing was changed`, { field: 'source' });
      }
      // Renewing proves the claim: the core refuses a lease token made for another token.
      await this.deps.engine.heartbeat(found.taskId, KEPTN_LEASE_MS, this.actor(who.actor, source, leaseToken), who.by).catch((e: unknown) => {
        if (source !== ce.source && e instanceof SlipwayError && e.code === 'NOT_CLAIM_HOLDER') {
          throw new SlipwayError('NOT_CLAIM_HOLDER', `task '${found.taskId}' (triggeredid '${found.triggered.id}') was pushed by ${source}; only the token that subscription names may answer it, not ${who.by}; nothing was changed`, { field: 'x-token' }, { cause: e });
        }
        throw e;
      });
    } else {
      await this.claim(found, source, leaseToken, ce.id, who);
    }
    if (phase !== 'finished') return { keptnContext, applied: true };
    return { keptnContext, applied: await this.finish(found, ce, source, leaseToken, who) };
  }

  /** Claims the task for `source` on its first report. */
  private async claim(found: Located, source: string, leaseToken: string, eventId: string, who: { by: string; actor: ExecutorActor }): Promise<void> {
    const d = await this.deps.engine.apply({
      type: 'task.claimed',
      id: `keptn:${found.taskId}:claimed:${eventId}`,
      taskId: found.taskId,
      executor: source,
      leaseMs: KEPTN_LEASE_MS,
      leaseToken,
      by: who.by,
      ...(who.actor.kinds ? { kinds: keptnKinds(who.actor.kinds)! } : {}),
    });
    if (d.ignored !== undefined) throw new SlipwayError('INVALID_STATE', `task '${found.taskId}' cannot be claimed: ${d.ignored}`, { field: 'triggeredid' });
  }

  private async finish(found: Located, ce: PostedKeptnEvent, source: string, leaseToken: string, who: { by: string; actor: ExecutorActor }): Promise<boolean> {
    const data = ce.data ?? {};
    const { result, status: keptnStatus } = resultOf(data);
    const own = Object.fromEntries(Object.entries(data).filter(([k]) => !COMMON_KEYS.has(k)));
    const message = typeof data['message'] === 'string' ? data['message'] : undefined;
    const services = found.run.services.length > 0 ? found.run.services : [found.service];
    const answer: { result: Result; data: Record<string, unknown> } = { result, data: { status: keptnStatus, ...own } };
    let per = new Map([[found.service, answer]]);
    if (services.length > 1) {
      // Each service's own verdict stays with it (dialect.ts reads it back for that service's .finished).
      answer.data = { ...answer.data, result, ...(message !== undefined ? { message } : {}) };
      // Kept in the store, not in memory: a restart between two services' answers loses neither.
      await this.deps.store.putKeptnPartial({ taskId: found.taskId, service: found.service, result, data: answer.data, at: Date.now() });
      per = await this.answered(found.taskId);
      this.partials.set(found.taskId, new Set(per.keys()));
      if (services.some((s) => !per.has(s))) return false;
    }
    const results = services.map((s) => per.get(s)!);
    const worst = results.reduce<Result>((w, r) => (ORDER[r.result] > ORDER[w] ? r.result : w), 'pass');
    const output = services.length === 1 ? results[0]!.data : { services: Object.fromEntries(services.map((s) => [s, per.get(s)!.data])) };
    const d = await this.deps.engine.apply({
      type: 'task.finished',
      id: `keptn:${found.taskId}:finished:${ce.id}`,
      taskId: found.taskId,
      result: worst,
      by: who.by,
      actor: this.actor(who.actor, source, leaseToken),
      output,
      ...(message !== undefined ? { message } : {}),
    });
    if (services.length > 1) {
      await this.deps.store.deleteKeptnPartials(found.taskId);
      this.partials.delete(found.taskId);
    }
    return d.ignored === undefined;
  }

  /** The services of a task whose `.finished` arrived (from the store: they outlive the process). */
  private async answered(taskId: string): Promise<Map<string, { result: Result; data: Record<string, unknown> }>> {
    return new Map((await this.deps.store.keptnPartials(taskId)).map((p) => [p.service, { result: p.result, data: p.data }]));
  }

  /** Services of `taskId` already answered; read from the store once per task and process. */
  private async answeredServices(taskId: string): Promise<ReadonlySet<string>> {
    let known = this.partials.get(taskId);
    if (!known) this.partials.set(taskId, (known = new Set((await this.answered(taskId)).keys())));
    return known;
  }

  private actor(base: ExecutorActor, executor: string, leaseToken: string | undefined): ExecutorActor {
    const kinds = keptnKinds(base.kinds);
    return { type: 'executor', executor, ...(leaseToken !== undefined ? { leaseToken } : {}), ...(kinds ? { kinds } : {}) };
  }

  /** The task an open `.triggered` id belongs to, and for which service. */
  private async locate(triggeredId: string, project: string | undefined): Promise<Located | undefined> {
    for (const p of this.projects(project)) {
      const fold = await this.fold(p);
      for (const t of fold.tasks.values()) {
        const triggered = t.triggered.find((e) => e.id === triggeredId);
        if (!triggered) continue;
        const open = this.openTask(t.taskId);
        if (!open) return undefined;
        return { ...open, taskId: t.taskId, service: triggered.data.service, triggered };
      }
    }
    return undefined;
  }

  /** The run and task when the task's current attempt is still waiting for, or worked on by, an outside executor. */
  private openTask(taskId: string): { run: Run; task: TaskRun } | undefined {
    const parsed = parseTaskId(taskId);
    if (!parsed) return undefined;
    const run = this.deps.engine.view.runs.get(parsed.runId);
    const task = run?.tasks.find((t) => t.name === parsed.task);
    if (!run || !task || task.attempt !== parsed.attempt) return undefined;
    // Started without a claim: Slipway runs it itself, no Keptn executor may answer it.
    if (task.state === 'triggered' || (task.state === 'started' && task.claim !== undefined)) return { run, task };
    return undefined;
  }

  /** The named project (refused unless Keptn's protocol serves it), or every project it serves. */
  private projects(project: string | undefined): string[] {
    const pipelines = this.deps.engine.view.pipelines;
    if (project !== undefined) return [keptnProject((p) => pipelines.get(p), project).name];
    return [...pipelines.values()].filter(speaksKeptn).map((p) => p.name);
  }

  /**
   * The project's log folded in Keptn's dialect, brought up to date: each poll reads only the
   * events logged since the last (one reader at a time per project, so none is folded twice).
   */
  async fold(project: string): Promise<KeptnFold> {
    let f = this.folds.get(project);
    if (!f) this.folds.set(project, (f = { fold: new KeptnFold(), seq: 0, busy: Promise.resolve() }));
    const state = f;
    const caughtUp = state.busy.then(async () => {
      for (const row of await this.deps.store.events({ project, afterSeq: state.seq })) {
        state.fold.add(row.event);
        state.seq = row.seq;
      }
    });
    state.busy = caughtUp.catch(() => undefined);
    await caughtUp;
    return state.fold;
  }
}

