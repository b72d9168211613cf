/**
 * A Keptn executor that knows nothing of Slipway: it speaks only Keptn's protocol, as
 * Keptn's distributor does for job-executor or helm-service. It polls
 * `GET /api/controlPlane/v1/event/triggered/sh.keptn.event.<task>.triggered` with its
 * `x-token`, and for each new event posts `sh.keptn.event.<task>.started`, then
 * `.finished` naming it in `triggeredid`, to `POST /api/v1/event`.
 */
import { randomUUID } from 'node:crypto';

export interface KeptnCloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  shkeptncontext: string;
  shkeptnspecversion?: string;
  triggeredid?: string;
  data: Record<string, unknown> & { project: string; stage: string; service: string };
}

/** What a task handler returns: Keptn's finished data beyond project/stage/service. */
export interface KeptnOutcome {
  result?: 'pass' | 'warning' | 'fail';
  status?: 'succeeded' | 'errored';
  message?: string;
  data?: Record<string, unknown>;
}

export interface KeptnExecutorOptions {
  /** Keptn's API endpoint: http://host/api */
  api: string;
  token: string;
  source: string;
  project: string;
  tasks: Record<string, (e: KeptnCloudEvent) => KeptnOutcome | Promise<KeptnOutcome>>;
  /** Called after the executor's .started was accepted, before it works (a test's hook). */
  afterStarted?: (e: KeptnCloudEvent) => Promise<void>;
  pollMs?: number;
  /** Post a `.status.changed` while working (what renews the claim of a long task). */
  statusChanged?: boolean;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function postKeptnEvent(api: string, headers: Record<string, string>, event: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${api}/v1/event`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(event) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export function answer(to: KeptnCloudEvent, source: string, phase: 'started' | 'status.changed' | 'finished', data: Record<string, unknown> = {}): Record<string, unknown> {
  const task = to.type.replace(/^sh\.keptn\.event\./, '').replace(/\.triggered$/, '');
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: `sh.keptn.event.${task}.${phase}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    shkeptncontext: to.shkeptncontext,
    shkeptnspecversion: '0.2.3',
    triggeredid: to.id,
    data: { project: to.data.project, stage: to.data.stage, service: to.data.service, ...data },
  };
}

export class KeptnExecutor {
  /** Every triggered event it received, in order. */
  readonly received: KeptnCloudEvent[] = [];
  readonly errors: string[] = [];
  private readonly seen = new Set<string>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: KeptnExecutorOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      for (const task of Object.keys(this.opts.tasks)) {
        if (this.stopped) break;
        await this.pollOnce(task).catch((e: unknown) => this.errors.push(String(e)));
      }
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 100));
    }
  }

  private async pollOnce(task: string): Promise<void> {
    const url = `${this.opts.api}/controlPlane/v1/event/triggered/sh.keptn.event.${task}.triggered?project=${encodeURIComponent(this.opts.project)}`;
    const res = await fetch(url, { headers: { 'x-token': this.opts.token } });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { events: KeptnCloudEvent[]; nextPageKey: string; totalCount: number; pageSize: number };
    for (const e of page.events) {
      // Keptn's distributor sends each triggered event to its executor once.
      if (this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      this.received.push(e);
      await this.handle(task, e);
    }
  }

  private async handle(task: string, e: KeptnCloudEvent): Promise<void> {
    const headers = { 'x-token': this.opts.token };
    const started = await postKeptnEvent(this.opts.api, headers, answer(e, this.opts.source, 'started'));
    if (started.status !== 200) throw new Error(`${task}.started: ${started.status} ${JSON.stringify(started.body)}`);
    await this.opts.afterStarted?.(e);
    if (this.opts.statusChanged) {
      const progress = await postKeptnEvent(this.opts.api, headers, answer(e, this.opts.source, 'status.changed', { status: 'succeeded', message: 'working' }));
      if (progress.status !== 200) throw new Error(`${task}.status.changed: ${progress.status} ${JSON.stringify(progress.body)}`);
    }
    const out = await this.opts.tasks[task]!(e);
    const data = { status: out.status ?? 'succeeded', result: out.result ?? 'pass', message: out.message ?? '', ...(out.data ?? {}) };
    const finished = await postKeptnEvent(this.opts.api, headers, answer(e, this.opts.source, 'finished', data));
    if (finished.status !== 200) throw new Error(`${task}.finished: ${finished.status} ${JSON.stringify(finished.body)}`);
  }
}
