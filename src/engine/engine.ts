/**
 * The engine applies inputs in transactions: load what the inputs need, `core.decide`
 * each in turn (each sees the state the previous left), write events, projections and
 * outbox rows in one commit, then carry out the effects. Inputs that arrive while one
 * transaction commits are applied together in the next (group commit), which is decided
 * while the first commits (two batches in flight; effects wait for their own commit).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { CoreState, DecideContext, Decision, Effect, FreezeHold, FreezeWindowSpec, Input, Pipeline, RunOrigin, Requirements, Run, ScheduleSpec, SlipwayEvent, TaskActor, Timer } from '../core/index.js';
import { SlipwayError, createState, decide, recheckInput, requirements } from '../core/index.js';
import { auditOf } from '../audit/index.js';
import type { AuditDraft, CommitBatch, Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { ClaimedTask, ClaimRequest } from './claims.js';
import { Claims } from './claims.js';
import { AppliedInputs } from './applied-inputs.js';
import { buildCommit } from './commit.js';
import { assertEncodable, commitFailure, decideFailure, splitBudget, storeFailure } from './input-fate.js';
import { Dispatcher } from './dispatcher.js';
import { redactReport } from './redact-report.js';
import { EngineEmitter } from './emitter.js';
import type { Executor, SecretResolver } from './executor.js';
import { pastRuns } from './past-runs.js';
import { loadRequirements, recoverState } from './recovery.js';
import { Timers } from './timers.js';

export interface EngineOptions {
  store: Store;
  executors?: Executor[];
  clock?: Clock;
  log?: Logger;
  /** Where executors keep per-task files. */
  workDir: string;
  unservedKinds?: 'fail' | 'wait';
  /** Most inputs applied in one transaction. */
  maxBatch?: number;
  /** Timeout for a task of a kind no built-in executor serves, when its spec sets none. */
  defaultTimeoutMs?: number;
  /** Resolves `${secret:NAME}` for executors (and outside executors' claims) and redacts what they report. */
  secrets?: SecretResolver;
  /** The freeze calendar (src/triggers): what holds a stage given a pipeline's windows. Absent: nothing freezes. */
  freezeHold?: (windows: readonly FreezeWindowSpec[], stage: string, at: number, origin: RunOrigin) => FreezeHold | undefined;
  /** The schedule calendar (src/triggers): a stage schedule's first fire time after an instant. Absent: schedules never fire. */
  scheduleNext?: (schedule: ScheduleSpec, after: number) => number | undefined;
  /** Bounds of what the engine keeps in memory beyond active runs (ENGINE_CAPS); tests set small ones. */
  caps?: Partial<EngineCaps>;
}

/**
 * What memory keeps beside active runs, each reloadable or refused by the store, so memory
 * does not grow with history (issue 13: RSS flat from minute 2 of the stress load):
 * - `recentInputs`: ids of applied inputs, so a repeat is answered as ignored without a read.
 *   An older repeat is found in the store's log, one query per batch (applied-inputs.ts), and
 *   answered the same.
 * - `releases`: releases loaded; above it, those no active run or live cell needs leave (they
 *   are loaded again on demand). The next eviction waits until half the cap more are held than
 *   were kept, so a large live table does not make every batch scan it, and memory holds at
 *   most that many releases beyond those the live table pins (it held up to twice as many).
 * - `artifactPasses`: artifacts' passes loaded on demand; cleared above it.
 */
export interface EngineCaps {
  recentInputs: number;
  releases: number;
  artifactPasses: number;
}

export const ENGINE_CAPS: EngineCaps = { recentInputs: 20_000, releases: 2_000, artifactPasses: 5_000 };

interface Pending {
  input: Input;
  resolve: (d: Decision) => void;
  reject: (e: unknown) => void;
}

/** Inputs applied in one transaction. `budget`: failed commits left to its parts after it was split (shared by them). */
interface Batch {
  items: Pending[];
  budget?: { left: number };
}

/** A batch decided and turned into one commit, waiting for it. */
interface Prepared {
  b: Batch;
  decisions: Decision[];
  events: SlipwayEvent[];
  effects: Effect[];
  seen: Set<string>;
  commit: CommitBatch;
  timers: Map<string, Timer | null>;
  runs: Map<string, Run>;
  started: number;
}

/** A prepared batch whose commit was sent; `result` is the commit's failure, undefined when it is durable. */
interface InFlight {
  prepared: Prepared;
  result: Promise<unknown>;
}

/** Events announced with their run (`run:queued`, …): the run as the batch left it goes with them. */
const RUN_ANNOUNCED = new Set(['sh.slipway.run.queued', 'sh.slipway.run.started', 'sh.slipway.run.finished']);

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export class Engine {
  readonly emitter = new EngineEmitter();
  private state: CoreState = createState();
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly executors: Map<string, Executor>;
  private readonly dispatcher: Dispatcher;
  private readonly timers: Timers;
  private readonly claims: Claims;
  private readonly projectDirs = new Map<string, string>();
  /** Inputs applied already (memory, then the store): a repeat is answered as ignored instead of colliding in the log. */
  private readonly applied: AppliedInputs;
  private queue: Pending[] = [];
  /** Batches to apply before new inputs: the rest of a batch after an input was refused, or the halves of one whose commit failed. */
  private retry: Batch[] = [];
  /** The in-memory state may hold changes that never committed (a reload failed); reload before the next batch. */
  private stale = false;
  private looping: Promise<void> | undefined;
  private stopping = false;
  /** Recovered from the store: schedules are armed against the recovered state, never before. */
  private started = false;
  private readonly maxBatch: number;
  private readonly caps: EngineCaps;
  /** Releases held before the next eviction (see EngineCaps). */
  private releaseLimit: number;
  private readonly ctxBase: Omit<DecideContext, 'now'>;

  constructor(private readonly opts: EngineOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? pino({ level: 'silent' });
    this.maxBatch = opts.maxBatch ?? 512;
    this.caps = { ...ENGINE_CAPS, ...opts.caps };
    this.releaseLimit = this.caps.releases;
    this.applied = new AppliedInputs(this.store, this.caps.recentInputs);
    this.executors = new Map((opts.executors ?? []).map((e) => [e.kind, e]));
    const fallback = opts.defaultTimeoutMs ?? 3_600_000;
    this.ctxBase = {
      hash: sha256,
      defaultTimeoutMs: (kind, props) => this.executors.get(kind)?.defaultTimeoutMs?.(props) ?? fallback,
      startsOnDispatch: (kind) => this.executors.has(kind),
      freezeAt: (project, stage, at, origin) => {
        const windows = this.state.pipelines.get(project)?.freezes;
        return windows?.length && opts.freezeHold ? opts.freezeHold(windows, stage, at, origin) : undefined;
      },
      ...(opts.scheduleNext ? { nextFire: opts.scheduleNext } : {}),
    };
    this.dispatcher = new Dispatcher({
      state: () => this.state,
      submit: (i) => this.submit(i),
      executors: this.executors,
      clock: this.clock,
      log: this.log,
      emitter: this.emitter,
      workDir: opts.workDir,
      projectDir: (p) => this.projectDirs.get(p) ?? process.cwd(),
      runs: (q) => pastRuns(this.store, q),
      unservedKinds: opts.unservedKinds ?? 'wait',
      ...(opts.secrets ? { secrets: opts.secrets } : {}),
    });
    this.timers = new Timers(this.clock, (i) => this.submit(i), this.log);
    this.claims = new Claims({
      emitter: this.emitter,
      store: this.store,
      apply: (i) => this.submit(i),
      run: (id) => this.state.runs.get(id),
      artifacts: (id) => this.state.releases.get(id)?.release.artifacts ?? {},
      ...(opts.secrets ? { secrets: opts.secrets } : {}),
    });
  }

  /** An outside executor takes a task of one of `kinds` (waiting up to `waitMs` for one); undefined when none came. */
  claim(req: ClaimRequest): Promise<ClaimedTask | undefined> {
    return this.claims.claim(req);
  }

  /**
   * Renews the lease of a claimed task for the executor holding it (`actor`); throws
   * NOT_CLAIM_HOLDER for anyone else, INVALID_STATE when the task ended or its run was aborted.
   */
  async heartbeat(taskId: string, leaseMs: number, actor: TaskActor, by?: string): Promise<number> {
    const d = await this.apply({ type: 'task.heartbeat', id: `${taskId}.hb.${crypto.randomUUID()}`, taskId, leaseMs, actor, ...(by ? { by } : {}) });
    return d.value?.leaseExpiresAt ?? 0;
  }

  /** Tasks waiting for an outside executor, by kind. */
  backlog(): Record<string, number> {
    return this.claims.backlog();
  }

  /** Loads state from the store and resumes: re-dispatches tasks in flight, arms timers (overdue ones fire). */
  async start(): Promise<void> {
    const pipelines = this.state.pipelines;
    const { state, timers, outbox } = await recoverState(this.store);
    for (const [name, p] of pipelines) state.pipelines.set(name, p);
    this.state = state;
    this.timers.load(timers);
    for (const row of outbox) this.carryOut(row.kind === 'dispatch' ? { type: 'dispatch', taskId: row.taskId, project: row.project } : { type: 'resume', taskId: row.taskId, project: row.project, signal: String(row.payload['signal']), ...(row.payload['payload'] ? { payload: row.payload['payload'] as Record<string, unknown> } : {}), ...(typeof row.payload['by'] === 'string' ? { by: row.payload['by'] } : {}) });
    this.log.info({ runs: state.runs.size, timers: timers.length, redispatched: outbox.length }, 'engine started');
    this.started = true;
    // The pipeline files may have changed while the engine was down.
    for (const p of state.pipelines.values()) {
      this.recheckFrozen(p);
      this.syncSchedules(p);
    }
  }

  /** Makes a pipeline current for its project; runs queued from now on use it. Saves the version once. */
  async setPipeline(p: Pipeline, source: { text: string; origin: string; dir: string; by?: string }): Promise<void> {
    const known = await this.store.getPipelineVersion(p.name, p.version);
    // Audited: a load someone asked for, and any load that brings a new version (a file changed between starts),
    // the new version and its row in one transaction.
    const details = { version: p.version, origin: source.origin, changed: !known };
    const audit: AuditDraft = { at: this.clock.now(), actor: source.by ?? 'server', action: 'project.load', project: p.name, target: p.version, details };
    if (!known) await this.store.savePipelineVersion({ project: p.name, version: p.version, source: source.text, origin: source.origin, createdAt: this.clock.now() }, audit);
    else if (source.by !== undefined) await this.store.appendAudit([audit]);
    this.state.pipelines.set(p.name, p);
    this.projectDirs.set(p.name, source.dir);
    this.recheckFrozen(p);
    if (this.started) this.syncSchedules(p);
  }

  /** Arms the pipeline's schedules (new or changed), drops those gone: a core decision (schedule.ts). */
  private syncSchedules(p: Pipeline): void {
    const known = [...this.state.schedules.values()].some((s) => s.project === p.name);
    if (!known && !p.stages.some((s) => s.schedule)) return;
    const input: Input = { type: 'schedule.sync', id: `${p.name}:schedules@${p.version}:${this.clock.now()}`, project: p.name };
    this.submit(input).catch((e: unknown) => this.log.warn({ err: e, project: p.name }, 'arming the schedules of a pipeline failed'));
  }

  /** Runs a freeze window holds are checked again at once when their pipeline changes: a window may have moved or gone. */
  private recheckFrozen(p: Pipeline): void {
    for (const r of this.state.runs.values()) {
      if (r.project !== p.name || r.state !== 'queued' || !r.frozen) continue;
      const input = recheckInput(r, `${r.id}:recheck@${p.version}`);
      if (input) this.submit(input).catch((e: unknown) => this.log.warn({ err: e, run: r.id }, 're-checking a frozen run after a pipeline change failed'));
    }
  }

  pipeline(project: string): Pipeline | undefined {
    return this.state.pipelines.get(project);
  }

  /** Directory of the project's pipeline file: relative paths in its properties resolve from here. */
  projectDir(project: string): string {
    return this.projectDirs.get(project) ?? process.cwd();
  }

  /** Read-only view of the in-memory state (active runs, live table). */
  get view(): Readonly<CoreState> {
    return this.state;
  }

  get inflight(): number {
    return this.dispatcher.inflightCount + this.queue.length;
  }

  /** Applies an input; resolves once its effects are durable. A rule violation resolves with `error` set. */
  submit(input: Input): Promise<Decision> {
    if (this.stopping) return Promise.reject(new SlipwayError('SHUTTING_DOWN', 'the engine is stopping; try again after it restarts'));
    return new Promise((resolve, reject) => {
      this.queue.push({ input: redactReport(input, this.opts.secrets), resolve, reject });
      this.looping ??= this.loop();
    });
  }

  /** Like submit, but throws the decision's error. */
  async apply(input: Input): Promise<Decision> {
    const d = await this.submit(input);
    if (d.error) throw d.error;
    return d;
  }

  /**
   * Resolves once every input submitted so far is committed and its effects carried out (timers
   * armed, dispatches made). The view may show a batch's decisions while its commit is still on
   * its way (the SQLite commit thread, PostgreSQL): a test that moves a clock waits for this first.
   */
  async settled(): Promise<void> {
    while (this.looping) await this.looping;
  }

  /** Stops taking work, lets the current transactions finish, aborts executors (their tasks resume after restart). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.timers.stop();
    this.dispatcher.abortAll();
    while (this.looping) await this.looping;
  }

  /**
   * Applies batches one after another, two at a time: while one batch's commit is on its way
   * (the SQLite commit thread, PostgreSQL), the next is decided on the state the first left.
   * Commits stay in order, and a batch's effects are carried out only once its own commit is
   * durable. When a commit fails, the batch decided after it goes back to the front of the
   * queue: the state it was decided on is reloaded from the store.
   */
  private async loop(): Promise<void> {
    // Let inputs submitted in the same tick join the first batch.
    await new Promise((r) => setImmediate(r));
    let inflight: InFlight | undefined;
    // Ends the commit in flight (if any) before something must read the store or reload the state.
    const drain = async (): Promise<void> => {
      const f = inflight;
      inflight = undefined;
      if (f) await this.finish(f, undefined);
    };
    try {
      for (;;) {
        const batch = this.retry.shift() ?? (this.queue.length > 0 ? { items: this.queue.splice(0, this.maxBatch) } : undefined);
        if (!batch) {
          if (!inflight) break;
          await drain();
          continue;
        }
        const next = await this.prepare(batch, drain, inflight?.prepared.seen);
        if (inflight) {
          const f = inflight;
          inflight = undefined;
          // A failed commit sends `next` back to the queue (it was decided on a state that never committed).
          if (!(await this.finish(f, next))) continue;
        }
        if (next) inflight = { prepared: next, result: this.store.commit(next.commit).then(() => undefined, (e: unknown) => e ?? new Error('the commit failed')) };
        // Executors answer in microtasks and the store may commit synchronously, so a busy engine
        // would keep the event loop until its queue ran dry: HTTP reads waited seconds. One turn
        // of the loop between batches answers them (and lets more inputs join the next batch).
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      await drain();
      this.looping = undefined;
      if ((this.queue.length > 0 || this.retry.length > 0) && !this.stopping) this.looping = this.loop();
    }
  }

  /**
   * Decides a batch into one commit. An input that cannot be applied fails alone: when
   * deciding or encoding it throws, it is refused and the others go again from the store's
   * state; a repeat (in memory, or in the store's log: applied-inputs.ts) is ignored. Whatever
   * must reload the state or read the store first ends the commit in flight (`drain`).
   * `pendingSeen`: the inputs of the batch whose commit is in flight (applied, as far as this batch knows).
   */
  private async prepare(b: Batch, drain: () => Promise<void>, pendingSeen: ReadonlySet<string> | undefined): Promise<Prepared | undefined> {
    const batch = b.items;
    const started = performance.now();
    if (this.stale) {
      await drain();
      if (!(await this.reload())) {
        for (const p of batch) p.reject(new SlipwayError('STORE', 'the store could not be read to recover from an earlier failure; try again'));
        return undefined;
      }
    }
    let inStore: ReadonlySet<string>;
    try {
      inStore = await this.applied.inStore(batch.map((p) => p.input.id), pendingSeen);
    } catch (e) {
      return this.readFailed(b, e, drain, 'read which inputs were applied');
    }
    const now = this.clock.now();
    const ctx: DecideContext = { ...this.ctxBase, now };
    for (let i = 0; i < batch.length; i++) {
      const { input } = batch[i]!;
      if (inStore.has(input.id)) continue;
      let needs: Requirements;
      try {
        needs = requirements(this.state, input, sha256);
      } catch (e) {
        await drain();
        await this.refuse(b, i, decideFailure(input, e), e);
        return undefined;
      }
      try {
        // What is not in memory is durable: runs leave memory only after their commit (evict).
        await loadRequirements(this.store, this.state, needs);
      } catch (e) {
        return this.readFailed(b, e, drain, 'read what the input needs');
      }
    }
    const decisions: Decision[] = [];
    const events: SlipwayEvent[] = [];
    const effects: Effect[] = [];
    const audit: AuditDraft[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < batch.length; i++) {
      let d: Decision;
      const { input } = batch[i]!;
      const again = this.applied.has(input.id) || seen.has(input.id) || pendingSeen?.has(input.id) === true;
      seen.add(input.id);
      if (again || inStore.has(input.id)) {
        decisions.push({ events: [], effects: [], ignored: `input ${input.id} was applied already` });
        continue;
      }
      try {
        d = decide(this.state, input, ctx);
      } catch (e) {
        // A bug, not a rule: the state may be half-changed. Start over from the store without this input.
        await drain();
        await this.refuse(b, i, decideFailure(input, e), e);
        return undefined;
      }
      try {
        assertEncodable(input, d);
      } catch (e) {
        await drain();
        await this.refuse(b, i, e as SlipwayError, e);
        return undefined;
      }
      decisions.push(d);
      events.push(...d.events);
      effects.push(...d.effects);
      // A person's action is sealed into the audit chain in the transaction that applies it.
      const row = auditOf(input, d, this.state, now);
      if (row) audit.push(row);
    }
    const { batch: commit, timers } = buildCommit(this.state, events, effects, now);
    if (audit.length > 0) commit.audit = audit;
    // The runs as this batch left them, for its announcements (the next batch may change them before this one is durable).
    const runs = new Map<string, Run>();
    for (const ev of events) {
      const run = ev.runid !== undefined && RUN_ANNOUNCED.has(ev.type) ? this.state.runs.get(ev.runid) : undefined;
      if (run) runs.set(run.id, { ...run });
    }
    return { b, decisions, events, effects, seen, commit, timers, runs, started };
  }

  /**
   * Waits for a batch's commit. Durable: its effects are carried out and its inputs answered
   * (true). Failed: `next` (decided on top of it) goes back to the front of the queue, the
   * state is reloaded, and the batch goes again in halves until the input at fault is alone
   * (or the split budget says the store itself is failing) (false).
   */
  private async finish(f: InFlight, next: Prepared | undefined): Promise<boolean> {
    const { b, decisions, events, effects, seen, commit, timers, runs, started } = f.prepared;
    const e = await f.result;
    if (e !== undefined) {
      if (next) this.retry.unshift(next.b);
      // Another replica is active now: nothing was written and no retry can help (the replica steps down).
      if (e instanceof SlipwayError && e.code === 'LEASE_LOST') {
        this.stale = true;
        for (const p of b.items) p.reject(e);
        return false;
      }
      this.log.error({ err: e, inputs: b.items.length }, 'commit failed; reloading state');
      this.emitter.emit('store:error', e as Error);
      await this.reload();
      this.split(b, e);
      return false;
    }
    this.applied.remember(seen);
    this.timers.apply(timers);
    for (const ef of effects) this.carryOut(ef);
    this.announce(events, runs);
    this.evict(commit.runs.map((r) => r.id));
    b.items.forEach((p, i) => p.resolve(decisions[i]!));
    this.emitter.emit('committed', { inputs: b.items.length, events: events.length, ms: performance.now() - started });
    return true;
  }

  /** A read the batch needs failed: the store is down, or one input needs a row it cannot read. Halving finds which. */
  private async readFailed(b: Batch, e: unknown, drain: () => Promise<void>, doing: string): Promise<undefined> {
    this.log.error({ err: e, inputs: b.items.length }, `a batch could not ${doing}`);
    await drain();
    await this.reload();
    this.split(b, e, doing);
    return undefined;
  }

  /** Input `i` of the batch cannot be applied: it fails alone; the rest go again, first, from the store's state. */
  private async refuse(b: Batch, i: number, err: SlipwayError, cause: unknown): Promise<void> {
    const p = b.items[i]!;
    this.log.error({ err: cause, input: { type: p.input.type, id: p.input.id } }, 'input refused');
    p.reject(err);
    await this.reload();
    const rest = b.items.filter((_, j) => j !== i);
    if (rest.length > 0) this.retry.unshift({ items: rest, ...(b.budget ? { budget: b.budget } : {}) });
  }

  /** The store failed the batch (`doing` what): a lone input fails with the reason; a larger batch goes again in halves. */
  private split(b: Batch, e: unknown, doing = 'commit'): void {
    const items = b.items;
    if (items.length === 1) return items[0]!.reject(commitFailure(items[0]!.input, e, doing));
    const budget = b.budget ?? { left: splitBudget(items.length) };
    if (budget.left <= 0) {
      const err = storeFailure(e, doing);
      for (const p of items) p.reject(err);
      return;
    }
    budget.left--;
    const half = Math.ceil(items.length / 2);
    this.retry.unshift({ items: items.slice(0, half), budget }, { items: items.slice(half), budget });
  }

  private carryOut(e: Effect): void {
    if (this.stopping) return;
    switch (e.type) {
      case 'dispatch':
        return this.dispatcher.dispatch(e.taskId);
      case 'resume':
        return this.dispatcher.resume(e.taskId, { signal: e.signal, ...(e.payload ? { payload: e.payload } : {}), ...(e.by !== undefined ? { by: e.by } : {}) });
      case 'abort':
        return this.dispatcher.abort(e.taskId, e.reason);
      default:
        return;
    }
  }

  private announce(events: SlipwayEvent[], runs: ReadonlyMap<string, Run>): void {
    for (const ev of events) {
      this.emitter.emit('event', ev);
      if (ev.taskid && ev.type.endsWith('.finished')) this.cleanup(ev.taskid, String((ev.data as { kind?: unknown }).kind));
      const run = ev.runid ? (runs.get(ev.runid) ?? this.state.runs.get(ev.runid)) : undefined;
      if (!run) continue;
      if (ev.type === 'sh.slipway.run.queued') this.emitter.emit('run:queued', run);
      else if (ev.type === 'sh.slipway.run.started') this.emitter.emit('run:started', run);
      else if (ev.type === 'sh.slipway.run.finished') this.emitter.emit('run:finished', run);
    }
  }

  private cleanup(taskId: string, kind: string): void {
    const executor = this.executors.get(kind);
    executor?.cleanup?.(taskId, join(this.opts.workDir, 'tasks')).catch((e: unknown) => this.log.warn({ err: e, taskId }, 'task cleanup failed'));
  }

  /** Ended runs live in the store; memory keeps what decisions need. */
  private evict(runIds: string[]): void {
    for (const id of runIds) {
      const r = this.state.runs.get(id);
      if (r && (r.state === 'succeeded' || r.state === 'failed' || r.state === 'aborted')) this.state.runs.delete(id);
    }
    if (this.state.releases.size > this.releaseLimit) {
      const keep = new Set([...this.state.runs.values()].map((r) => r.releaseId));
      for (const l of this.state.live.values()) keep.add(l.releaseId).add(l.lastGoodReleaseId ?? l.releaseId);
      for (const id of this.state.releases.keys()) if (!keep.has(id)) this.state.releases.delete(id);
      this.releaseLimit = Math.max(this.caps.releases, this.state.releases.size + Math.ceil(this.caps.releases / 2));
    }
    if (this.state.artifactPasses.size > this.caps.artifactPasses) this.state.artifactPasses.clear();
  }

  /** Rebuilds the state from the store; false (and the state marked stale, reloaded before the next batch) when the store cannot be read. */
  private async reload(): Promise<boolean> {
    try {
      const pipelines = this.state.pipelines;
      const { state } = await recoverState(this.store);
      for (const [name, p] of pipelines) state.pipelines.set(name, p);
      this.state = state;
      this.stale = false;
      return true;
    } catch (e) {
      this.log.error({ err: e }, 'reloading state from the store failed');
      this.stale = true;
      return false;
    }
  }
}
