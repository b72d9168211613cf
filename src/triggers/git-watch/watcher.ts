/**
 * The git watcher: for every project whose slipway.yaml sets `spec.repository.watch`, polls
 * the repository every `interval` (see poll.ts for what a poll does). A failing poll backs
 * off (the interval doubled per consecutive failure, at most 30 minutes or the interval if
 * longer), says so in the log and in `status()`, and recovers by itself. What it has seen
 * is in the store, so a restart resumes where it left off; the timings are memory only.
 */
import type { Logger } from 'pino';
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Clock, Engine, TimerHandle } from '../../engine/index.js';
import type { Store } from '../../store/index.js';
import type { Intake } from '../webhooks/index.js';
import type { GitOptions } from './git.js';
import type { Found, PollResult } from './poll.js';
import { pollOnce } from './poll.js';

export interface GitWatchOptions {
  engine: Pick<Engine, 'pipeline' | 'view'>;
  store: Store;
  intake: Intake;
  clock: Clock;
  log: Logger;
  cacheDir: string;
  /** How often due projects are looked for (default 1 s). */
  tickMs?: number;
  /** The longest back-off after failed polls (default 30 minutes; never shorter than the interval). */
  maxBackoffMs?: number;
  git?: GitOptions;
}

export interface WatchStatus {
  project: string;
  url: string;
  intervalMs: number;
  state: 'priming' | 'ok' | 'backing-off';
  lastPollAt: number | null;
  lastSuccessAt: number | null;
  nextPollAt: number | null;
  failures: number;
  lastError: string | null;
  primedAt: number | null;
  refs: number;
  releases: number;
}

interface ProjectState {
  nextPollAt: number;
  failures: number;
  lastPollAt?: number;
  lastSuccessAt?: number;
  lastError?: string;
  refs: number;
  releases: number;
  polling?: Promise<PollResult>;
}

const MAX_BACKOFF_MS = 30 * 60_000;

export class GitWatcher {
  private readonly states = new Map<string, ProjectState>();
  private timer: TimerHandle | undefined;
  private stopped = true;

  constructor(private readonly opts: GitWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The project's watcher state; undefined when it is not watched. */
  async status(project: string): Promise<WatchStatus | undefined> {
    const p = this.watched(project);
    if (!p) return undefined;
    const s = this.stateOf(p);
    const repo = await this.opts.store.getWatchRepo(project);
    const primed = repo && repo.url === p.repository!.url ? repo.primedAt : null;
    return {
      project,
      url: p.repository!.url,
      intervalMs: p.repository!.watch!.intervalMs,
      state: s.failures > 0 ? 'backing-off' : primed === null ? 'priming' : 'ok',
      lastPollAt: s.lastPollAt ?? null,
      lastSuccessAt: s.lastSuccessAt ?? null,
      nextPollAt: this.stopped ? null : s.nextPollAt,
      failures: s.failures,
      lastError: s.lastError ?? null,
      primedAt: primed,
      refs: s.refs,
      releases: s.releases,
    };
  }

  /** Polls now (after a poll in progress ends); a failure is recorded as any poll's and thrown. */
  async pollNow(project: string): Promise<{ watch: WatchStatus; released: Found[] }> {
    const p = this.watched(project);
    if (!p) throw new SlipwayError('INVALID_INPUT', `project '${project}' is not watched: add watch: {interval: 1m} to spec.repository in its slipway.yaml (docs/triggers.md)`, { field: 'project' });
    const s = this.stateOf(p);
    while (s.polling) await s.polling.catch(() => undefined);
    const r = await this.poll(p, s);
    if (r instanceof Error) throw new SlipwayError('INVALID_INPUT', `polling ${p.repository!.url} failed: ${r.message}; the watcher backs off and tries again`, { field: 'repository.url' }, { cause: r });
    return { watch: (await this.status(project))!, released: r.found };
  }

  private watched(project: string): Pipeline | undefined {
    const p = this.opts.engine.pipeline(project);
    return p?.repository?.watch ? p : undefined;
  }

  private stateOf(p: Pipeline): ProjectState {
    let s = this.states.get(p.name);
    if (!s) this.states.set(p.name, (s = { nextPollAt: this.opts.clock.now(), failures: 0, refs: 0, releases: 0 }));
    return s;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => this.tick(), this.opts.tickMs ?? 1000);
  }

  private tick(): void {
    const now = this.opts.clock.now();
    for (const p of this.opts.engine.view.pipelines.values()) {
      if (!p.repository?.watch) continue;
      const s = this.stateOf(p);
      if (!s.polling && s.nextPollAt <= now) void this.poll(p, s);
    }
    this.arm();
  }

  /** One poll with its bookkeeping; resolves with the result or the error (never rejects). */
  private async poll(p: Pipeline, s: ProjectState): Promise<PollResult | Error> {
    const interval = p.repository!.watch!.intervalMs;
    s.lastPollAt = this.opts.clock.now();
    const work = pollOnce(p, { store: this.opts.store, intake: this.opts.intake, log: this.opts.log, cacheDir: this.opts.cacheDir, now: () => this.opts.clock.now(), ...(this.opts.git ? { git: this.opts.git } : {}) });
    s.polling = work;
    try {
      const r = await work;
      s.failures = 0;
      delete s.lastError;
      s.lastSuccessAt = this.opts.clock.now();
      s.nextPollAt = s.lastSuccessAt + interval;
      s.refs = r.refs;
      s.releases += r.found.filter((f) => f.runId).length;
      if (s.failures === 0 && r.found.length > 0) this.opts.log.info({ project: p.name, found: r.found }, 'git watcher: new commits and tags');
      return r;
    } catch (e) {
      s.failures++;
      s.lastError = (e as Error).message;
      const delay = Math.min(interval * 2 ** s.failures, Math.max(this.opts.maxBackoffMs ?? MAX_BACKOFF_MS, interval));
      s.nextPollAt = this.opts.clock.now() + delay;
      this.opts.log.warn({ project: p.name, url: p.repository!.url, failures: s.failures, retryInMs: delay, err: e }, `git watcher: polling failed ${s.failures} time(s) in a row; backing off, next poll in ${Math.round(delay / 1000)} s`);
      return e as Error;
    } finally {
      s.polling = undefined;
    }
  }
}
