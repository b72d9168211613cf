/**
 * Per-pull-request environments. A pull request opened or updated (a forge webhook, the git
 * watcher, or by hand through the API) becomes a release triggered into stage `pr-<n>`: a
 * stage the pipeline does not list but the core derives by name from `pullRequests.template`
 * (core/pipeline.ts, pullRequestStage). So the environment is deployed by the template's own
 * tasks, as a normal run with its events, and gets its own slots, router and port on the
 * local platform because its stage name is its own. Nothing about the stage needs recording
 * for a restart: the name is enough to derive it again.
 *
 * What the core does not hold is the environment's life: which are open, since when, and
 * when an idle one expires. That lives in the PullRequestBook (a durable file); its expiry
 * times are durable timers, armed on the injected Clock, re-armed at start (overdue ones are
 * torn down at once). Each deploy renews the expiry (GitLab's `auto_stop_in`); `keep` pins
 * an environment. Closing (closed, merged, expired, by hand) aborts the stage's runs in
 * flight, then retires every slot of every service it deployed and closes their routers.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PullRequestsSpec, Run } from '../../core/index.js';
import { PULL_REQUEST_STAGE, SlipwayError, isTerminal, pullRequestStageName } from '../../core/index.js';
import type { Clock, Engine, TimerHandle } from '../../engine/index.js';
import type { PullRequestEvent, PullRequestSink } from '../pull-request-event.js';
import { PullRequestBook } from './book.js';
import type { PullRequestRecord } from './book.js';
import type { EnvironmentState } from './forge.js';
import type { postForgeStatus } from './forge.js';
import { readyInput } from './ready.js';
import { reportToForge } from './report.js';
import { removeServices } from './teardown.js';
import type { EnvironmentPlatform } from './teardown.js';

export interface PullRequestEnvironmentsOptions {
  engine: Pick<Engine, 'apply' | 'pipeline' | 'view' | 'emitter'>;
  platform: EnvironmentPlatform;
  clock: Clock;
  log: Logger;
  /** The book's file. */
  file: string;
  /** Resolves a `${secret:NAME}` reference (the forge token); undefined when not set. */
  secret?: (reference: string) => string | undefined;
  /** Sends a commit status (default: postForgeStatus). */
  report?: typeof postForgeStatus;
}

export interface PullRequestView extends Omit<PullRequestRecord, 'runState'> {
  /** Where each service of the environment answers. */
  urls: Record<string, string>;
  runState?: Run['state'];
}


/** A second look after a close, for a deploy that was aborted while it started a process. */
const SWEEP_AFTER_MS = 30_000;

const digest = (artifacts: Readonly<Record<string, string>>): string =>
  createHash('sha256').update(JSON.stringify(Object.entries(artifacts).sort(([a], [b]) => a.localeCompare(b)))).digest('hex').slice(0, 12);

export class PullRequestEnvironments implements PullRequestSink {
  private readonly book: PullRequestBook;
  private timer: TimerHandle | undefined;
  private readonly sweeps = new Set<TimerHandle>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly onFinished = (run: Run) => void this.finished(run);
  private stopped = false;

  constructor(private readonly opts: PullRequestEnvironmentsOptions) {
    this.book = new PullRequestBook(opts.file);
  }

  async start(): Promise<void> {
    await this.book.load();
    this.opts.engine.emitter.on('run:finished', this.onFinished);
    await this.expire();
    await this.sweep();
  }

  /**
   * Retires what a closed environment still has on the platform. A deploy aborted by the close
   * may finish starting its process after the close looked: run again shortly after each close
   * and at every start, so nothing of a closed pull request outlives it for long.
   */
  private async sweep(only?: { project: string; number: number }): Promise<void> {
    for (const r of this.book.list(only?.project)) {
      if (r.state !== 'closed' || (only && r.number !== only.number)) continue;
      const left = await removeServices(this.opts.platform, r.project, r.stage, Object.keys(r.artifacts)).catch(() => []);
      if (left.length > 0) this.opts.log.warn({ project: r.project, pullRequest: r.number, services: left }, 'a closed pull-request environment still had services; retired them');
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const h of this.sweeps) h.cancel();
    this.opts.engine.emitter.off('run:finished', this.onFinished);
  }

  /** The environments, open first, with where each service answers. */
  list(project?: string): PullRequestView[] {
    return this.book
      .list(project)
      .sort((a, b) => (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1))
      .map((r) => {
        const run = r.runId ? this.opts.engine.view.runs.get(r.runId) : undefined;
        const runState = run?.state ?? r.runState;
        return { ...r, urls: r.state === 'open' ? this.urls(r) : {}, ...(runState ? { runState } : {}) };
      });
  }

  get(project: string, n: number): PullRequestView {
    const found = this.list(project).find((r) => r.number === n);
    if (!found) throw new SlipwayError('UNKNOWN_PULL_REQUEST', `pull request ${n} of project '${project}' has no environment; open one with POST /api/v1/projects/${project}/pull-requests or slipway pr open`, { field: 'number' });
    return found;
  }

  pullRequest(event: PullRequestEvent): Promise<{ stage: string; runId?: string }> {
    return this.serial(event.project, event.number, () => (event.action === 'closed' ? this.closeLocked(event.project, event.number, event.merged ? 'merged' : 'closed') : this.deploy(event)));
  }

  /** Pins an environment (no idle expiry) or, with `keep` false, lets its TTL run again from now. */
  keep(project: string, n: number, keep: boolean): Promise<PullRequestView> {
    return this.serial(project, n, async () => {
      const r = this.get(project, n);
      if (r.state !== 'open') throw new SlipwayError('INVALID_STATE', `the environment of pull request ${n} was torn down (${r.closedBecause ?? 'closed'}); open it again first`, { field: 'number' });
      const ttl = this.spec(project).ttlMs;
      const { expiresAt: _old, ...rest } = this.book.get(project, n)!;
      await this.book.put({ ...rest, kept: keep, ...(keep ? {} : { expiresAt: this.opts.clock.now() + ttl }) });
      this.arm();
      return this.get(project, n);
    });
  }

  private spec(project: string): PullRequestsSpec {
    const p = this.opts.engine.pipeline(project);
    if (!p) throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' is not defined`, { field: 'project' });
    if (!p.pullRequests) throw new SlipwayError('PULL_REQUESTS_OFF', `project '${project}' has no pull-request environments; add spec.pullRequests: {template: <stage>, ttl: 24h} to its slipway.yaml`, { field: 'project' });
    return p.pullRequests;
  }

  private async deploy(e: PullRequestEvent): Promise<{ stage: string; runId?: string }> {
    const spec = this.spec(e.project);
    if (!Number.isInteger(e.number) || !PULL_REQUEST_STAGE.test(pullRequestStageName(e.number))) {
      throw new SlipwayError('INVALID_INPUT', `pull request number ${String(e.number)} is invalid: give a positive whole number (at most 9 digits)`, { field: 'number' });
    }
    const stage = pullRequestStageName(e.number);
    if (Object.keys(e.artifacts).length === 0) return this.awaitArtifacts(e, spec);
    const now = this.opts.clock.now();
    const prev = this.book.get(e.project, e.number);
    // A failed or aborted deploy of the same head is tried again; one that worked or still runs is not.
    const same = prev?.state === 'open' && prev.commit === e.commit && digest(prev.artifacts) === digest(e.artifacts) && prev.runState !== 'failed' && prev.runState !== 'aborted';
    let { runId, releaseId } = prev ?? {};
    // A redelivered event for the head already deployed renews the TTL and deploys nothing.
    if (!same) {
      const d = await this.opts.engine.apply({
        type: 'trigger',
        id: `pr:${e.project}:${e.number}:${e.commit}:${digest(e.artifacts)}:${now}`,
        by: `pull-request:${e.source}`,
        project: e.project,
        stage,
        artifacts: { ...e.artifacts },
        provenance: { commit: e.commit, source: 'pull-request', ...(e.author ? { author: e.author } : {}) },
        automated: true,
      });
      runId = d.value?.runId;
      releaseId = d.value?.releaseId;
    }
    const record: PullRequestRecord = {
      project: e.project,
      number: e.number,
      stage,
      state: 'open',
      commit: e.commit,
      branch: e.branch,
      // Every service it ever deployed, so closing retires them all.
      artifacts: { ...(prev?.state === 'open' ? prev.artifacts : {}), ...e.artifacts },
      ...(e.title !== undefined ? { title: e.title } : {}),
      ...(e.author !== undefined ? { author: e.author } : {}),
      ...(e.url !== undefined ? { url: e.url } : {}),
      source: e.source,
      openedAt: prev?.state === 'open' ? prev.openedAt : now,
      deployedAt: now,
      kept: prev?.state === 'open' ? prev.kept : false,
      ...(releaseId ? { releaseId } : {}),
      ...(runId ? { runId } : {}),
      ...(same && prev.runState ? { runState: prev.runState } : {}),
    };
    if (!record.kept) record.expiresAt = now + spec.ttlMs;
    await this.book.put(record);
    this.arm();
    if (!same) this.report(record, 'pending', `deploying ${e.commit.slice(0, 12)} to ${stage}`);
    return { stage, ...(runId ? { runId } : {}) };
  }

  /**
   * A forge reports a pull request before its artifacts exist (GitHub's `pull_request` carries
   * none; a later `workflow_run` or registry event does). Nothing is deployed: a new pull
   * request is recorded, open and waiting, so close and TTL still apply to it; an open one
   * keeps what it runs.
   */
  private async awaitArtifacts(e: PullRequestEvent, spec: PullRequestsSpec): Promise<{ stage: string; runId?: string }> {
    const stage = pullRequestStageName(e.number);
    const prev = this.book.get(e.project, e.number);
    if (prev?.state === 'open') return { stage, ...(prev.runId ? { runId: prev.runId } : {}) };
    const now = this.opts.clock.now();
    await this.book.put({ project: e.project, number: e.number, stage, state: 'open', commit: e.commit, branch: e.branch, artifacts: {}, ...(e.title !== undefined ? { title: e.title } : {}), ...(e.author !== undefined ? { author: e.author } : {}), ...(e.url !== undefined ? { url: e.url } : {}), source: e.source, openedAt: now, deployedAt: now, kept: false, expiresAt: now + spec.ttlMs });
    this.arm();
    return { stage };
  }

  /** By hand (API, CLI): tears the environment down now. */
  close(project: string, n: number, because = 'closed by hand'): Promise<{ stage: string }> {
    return this.serial(project, n, () => this.closeLocked(project, n, because));
  }

  private async closeLocked(project: string, n: number, because: string): Promise<{ stage: string }> {
    const stage = pullRequestStageName(n);
    const r = this.book.get(project, n);
    if (!r || r.state === 'closed') return { stage };
    // Runs first, so no deploy of this pull request starts a process after its slots were looked at.
    for (const run of [...this.opts.engine.view.runs.values()]) {
      if (run.project !== project || run.stage !== stage || isTerminal(run)) continue;
      await this.opts.engine.apply({ type: 'run.abort', id: `pr-close:${run.id}`, runId: run.id, reason: `pull request ${n} ${because}`, by: 'pull-requests' }).catch((err: unknown) => this.opts.log.warn({ err, run: run.id }, 'aborting a pull-request run failed'));
    }
    await removeServices(this.opts.platform, project, stage, Object.keys(r.artifacts));
    const { expiresAt: _gone, ...rest } = r;
    await this.book.put({ ...rest, state: 'closed', closedAt: this.opts.clock.now(), closedBecause: because });
    this.opts.log.info({ project, pullRequest: n, because }, 'pull-request environment torn down');
    this.report(r, 'removed', `environment ${stage} removed (${because})`);
    this.arm();
    if (!this.stopped) {
      const h = this.opts.clock.setTimeout(() => {
        this.sweeps.delete(h);
        void this.serial(project, n, () => this.sweep({ project, number: n })).catch(() => undefined);
      }, SWEEP_AFTER_MS);
      this.sweeps.add(h);
    }
    return { stage };
  }

  /** Tears down every open environment whose idle time ran out, then arms the clock for the next. */
  private async expire(): Promise<void> {
    const now = this.opts.clock.now();
    for (const r of this.book.list()) {
      if (r.state === 'open' && !r.kept && r.expiresAt !== undefined && r.expiresAt <= now) {
        await this.serial(r.project, r.number, async () => {
          const current = this.book.get(r.project, r.number);
          // Renewed while waiting for the lock: not due any more.
          if (current?.state === 'open' && !current.kept && (current.expiresAt ?? Infinity) <= this.opts.clock.now()) await this.closeLocked(r.project, r.number, 'expired (idle ttl)');
        }).catch((err: unknown) => this.opts.log.warn({ err, project: r.project, pullRequest: r.number }, 'tearing down an expired pull-request environment failed'));
      }
    }
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = undefined;
    const due = this.book.list().filter((r) => r.state === 'open' && !r.kept && r.expiresAt !== undefined).map((r) => r.expiresAt!);
    if (due.length === 0) return;
    this.timer = this.opts.clock.setTimeout(() => void this.expire(), Math.min(...due) - this.opts.clock.now());
  }

  private urls(r: PullRequestRecord): Record<string, string> {
    const out: Record<string, string> = {};
    for (const service of Object.keys(r.artifacts).sort()) {
      const url = this.opts.platform.endpoint?.({ project: r.project, stage: r.stage, service });
      if (url) out[service] = url;
    }
    return out;
  }

  /** The environment's run ended: tell the forge it is ready (with its URL) or failed. */
  private async finished(run: Run): Promise<void> {
    const m = PULL_REQUEST_STAGE.exec(run.stage);
    const n = Number(m?.[1]);
    if (!m) return;
    // Through the lock: a quick run may end before the deploy that started it recorded its id.
    const r = await this.serial(run.project, n, async () => {
      const now = this.book.get(run.project, n);
      if (!now || now.state !== 'open' || now.runId !== run.id) return undefined;
      const done = { ...now, runState: run.state as NonNullable<PullRequestRecord['runState']> };
      await this.book.put(done);
      return done;
    }).catch((err: unknown) => this.opts.log.warn({ err, run: run.id }, 'recording a pull-request run failed'));
    if (!r) return;
    const ok = run.state === 'succeeded';
    const first = Object.values(this.urls(r))[0];
    this.report(r, ok ? 'ready' : 'failed', ok ? `environment ${r.stage} is ready${first ? ` at ${first}` : ''}` : `deploying to ${r.stage} ${run.state}`, ok ? first : undefined);
    if (!ok) return;
    // Into the log through the engine (never beside it): notifications and the event stream read it there.
    const d = await this.opts.engine.apply(readyInput(r, run.id, first)).catch((err: unknown) => ({ error: err }));
    if (d.error) this.opts.log.warn({ err: d.error, project: r.project, pullRequest: r.number }, 'recording that a pull-request environment is ready failed');
  }

  private report(r: PullRequestRecord, state: EnvironmentState, description: string, targetUrl?: string): void {
    const deps = { log: this.opts.log, ...(this.opts.secret ? { secret: this.opts.secret } : {}), ...(this.opts.report ? { post: this.opts.report } : {}) };
    reportToForge(deps, this.opts.engine.pipeline(r.project)?.pullRequests, r, state, description, targetUrl);
  }

  /** One change at a time per pull request (an update racing a close). */
  private serial<T>(project: string, n: number, fn: () => Promise<T>): Promise<T> {
    const key = `${project}#${n}`;
    const next = (this.locks.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.locks.set(key, next);
    // The last one out removes the entry, so the map holds only pull requests with work in flight.
    const forget = () => {
      if (this.locks.get(key) === next) this.locks.delete(key);
    };
    next.then(forget, forget);
    return next;
  }
}
