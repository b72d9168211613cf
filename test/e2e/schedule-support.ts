/**
 * For the schedule scenarios: a real `slipway server` whose time is a file the test moves
 * (the test-only clock: NODE_ENV=test and SLIPWAY_TEST_CLOCK_FILE, see src/engine/file-clock.ts),
 * the real CLI, and polls of the API with a deadline.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

export interface RunRow {
  id: string;
  stage: string;
  releaseId: string;
  state: string;
  origin: string | null;
}

export interface EventRow {
  seq: number;
  event: { type: string; time: string; source: string; data: Record<string, unknown> };
}

export class ScheduledServer {
  server: ServerProcess | undefined;

  constructor(
    readonly dir: string,
    readonly admin: string,
  ) {}

  get clockFile(): string {
    return join(this.dir, 'clock');
  }

  /** Moves the server's time (never back); the server reads it within a few ms. */
  async setTime(ms: number): Promise<void> {
    await writeFile(this.clockFile, String(ms));
  }

  async start(): Promise<void> {
    this.server = await startServerProcess(['slipway.yaml', '--data', 'data'], this.dir, { SLIPWAY_ADMIN_TOKEN: this.admin, NODE_ENV: 'test', SLIPWAY_TEST_CLOCK_FILE: this.clockFile });
  }

  async stop(): Promise<void> {
    const code = await this.server?.stop();
    expect(code).toBe(0);
    this.server = undefined;
  }

  async cli(args: string[], token = this.admin) {
    const child = slipway(args, this.dir, { SLIPWAY_SERVER: this.server!.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: join(this.dir, 'no-config.json') });
    const { code } = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  async api<T>(path: string, init: { method?: string; body?: unknown; token?: string; status?: number } = {}): Promise<T> {
    const r = await fetch(`${this.server!.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? this.admin}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await r.text();
    expect(r.status, `${path}: ${text}`).toBe(init.status ?? (init.method === 'POST' ? 201 : 200));
    return JSON.parse(text) as T;
  }

  async runs(project: string): Promise<RunRow[]> {
    return (await this.api<{ runs: RunRow[] }>(`/api/v1/runs?project=${project}&limit=200`)).runs;
  }

  async events(project: string, type: string): Promise<EventRow[]> {
    return (await this.api<{ events: EventRow[] }>(`/api/v1/events?project=${project}&type=${type}&limit=1000`)).events;
  }

  /** Polls (with a deadline) until `check` gives a value. */
  async until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** The run of `releaseId` in `stage` once it reached `state`. */
  runIn(project: string, stage: string, releaseId: string, state = 'succeeded'): Promise<RunRow> {
    return this.until(`release ${releaseId} ${state} in ${stage}`, async () => (await this.runs(project)).find((r) => r.stage === stage && r.releaseId === releaseId && r.state === state));
  }
}
