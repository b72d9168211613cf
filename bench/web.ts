/**
 * The dashboard in Chromium against a real server (bench/web-page.ts drives the browser):
 * - `web.matrix_ready_ms`: the environments page (`/`) opened until the first row of a
 *   `stages` × `services` matrix is painted with its data (median of `loads` warm loads), beside
 *   the matrix API call alone and the app's sign-in page (the same bundle, no data);
 * - `web.live_update_ms`: a run's `run.finished` event committed by the engine until the
 *   watched matrix cell shows that release `succeeded` on screen (p99 of `updates`), beside the
 *   same event's arrival at a plain SSE client.
 * The server is built in-process (openSlipway + buildServer, `--open-read` as `npm start`
 * serves), so the bench can note the moment of each commit.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { pino } from 'pino';
import { buildServer } from '../src/api/index.js';
import { openSlipway } from '../src/main.js';
import { launchBrowser, seenAt, timedLoad, watchRow, webSkipReason } from './web-page.js';
import { WEB_PROJECT, seedTree, serviceName, stageName } from './web-seed.js';
import { percentile, round } from './stats.js';

export interface WebPlan {
  stages: number;
  services: number;
  /** Warm loads of the page (after one cold load in the fresh profile). */
  loads: number;
  /** Live updates timed, one after the other. */
  updates: number;
}

export interface WebResult {
  stages: number;
  services: number;
  seed: { runs: number; seconds: number };
  matrixBytes: number;
  /** GET /api/v1/dashboard/matrix from the bench process, to the last byte (median of `loads`). */
  matrixApiMs: number;
  /** The sign-in page (the app's bundle and shell, no data) until its form is painted (median). */
  shellReadyMs: number;
  /** The first load in the fresh profile (nothing cached). */
  matrixColdMs: number;
  matrixReadyMs: number[];
  matrixReadyMedianMs: number;
  /** aheadOfAnnouncement: updates painted before the engine announced their commit (counted from the announcement). */
  live: { updates: number; p50Ms: number; p99Ms: number; maxMs: number; sseP50Ms: number; sseP99Ms: number; aheadOfAnnouncement: number };
}

export type WebOutcome = WebResult | { skipped: string };

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB_ROOT = join(ROOT, 'dist', 'web');

const median = (xs: number[]): number => round(percentile(xs, 50), 1);

export async function runWebBench(dataDir: string, plan: WebPlan, progress: (line: string) => void): Promise<WebOutcome> {
  const skip = webSkipReason(WEB_ROOT);
  if (skip) {
    progress(`web: skipped: ${skip}`);
    return { skipped: skip };
  }
  // The page is ready when the first stage's last service shows its release: the matrix came and rendered.
  const first = stageName(0);
  const leaf = stageName(plan.stages - 1);
  const lastService = serviceName(plan.services - 1);
  const selectors = {
    matrix: `td.cell[data-stage="${first}"][data-service="${lastService}"][data-state="succeeded"]`,
    shell: '#token',
  };
  // Chromium starts while the project is seeded (its own processes, about a second): nothing is
  // timed until both are done.
  const launching = launchBrowser(selectors);
  launching.catch(() => undefined);
  const log = pino({ level: 'warn' }, pino.destination(2));
  let closeServer = async (): Promise<void> => undefined;
  try {
    const slipway = await openSlipway({ dataDir, log });
    closeServer = async () => slipway.close();
    progress(`web: seeding ${plan.stages} stages × ${plan.services} services (one release of every service through every stage) …`);
    const seed = await seedTree(slipway, dataDir, plan.stages, plan.services, 300_000);
    progress(`  ${seed.runs} runs in ${seed.seconds} s`);
    const app = await buildServer({ slipway, openRead: true, log, webRoot: WEB_ROOT });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    closeServer = async () => {
      // Measured and done: a connection Chromium opened as it closed (no request on it) held
      // app.close() for seconds, until its timeout.
      app.server.closeAllConnections();
      await app.close();
      await slipway.close();
    };

    const browser = await launching;
    const sse = new AbortController();
    try {
      const { page } = browser;
      progress('web: loading the environments page (one cold load, then warm ones) …');
      const matrixColdMs = round(await timedLoad(page, `${base}/`, 'matrix'), 1);
      const matrixReadyMs: number[] = [];
      const shell: number[] = [];
      const api: number[] = [];
      let matrixBytes = 0;
      // The matrix last: the live updates below watch the page the last load left.
      for (let i = 0; i < plan.loads; i++) {
        shell.push(await timedLoad(page, `${base}/signin`, 'shell'));
        matrixReadyMs.push(round(await timedLoad(page, `${base}/`, 'matrix'), 1));
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/dashboard/matrix`);
        const body = await res.arrayBuffer();
        api.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`GET /api/v1/dashboard/matrix: ${res.status}`);
        matrixBytes = body.byteLength;
      }
      progress(`  cold ${matrixColdMs} ms; warm ${matrixReadyMs.join(', ')} ms; sign-in page ${median(shell)} ms; matrix API ${median(api)} ms (${matrixBytes} bytes)`);

      // Each update: a new release of one service triggered into the last stage (a leaf, so nothing follows it).
      const committed = new Map<string, { wall: number; mono: number; runId: string }>();
      const arrived = new Map<string, number>();
      const onFinished = (run: { id: string; stage: string; releaseId: string }) => {
        if (run.stage === leaf) committed.set(run.releaseId, { wall: Date.now(), mono: performance.now(), runId: run.id });
      };
      slipway.engine.emitter.on('run:finished', onFinished);
      const stream = await fetch(`${base}/api/v1/events/stream?project=${WEB_PROJECT}`, { signal: sse.signal }).catch(() => undefined);
      const parser = createParser({
        onEvent: (m) => {
          if (!m.event?.endsWith('.run.finished')) return;
          const runid = (JSON.parse(m.data) as { runid?: string }).runid;
          if (runid !== undefined && !arrived.has(runid)) arrived.set(runid, performance.now());
        },
      });
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of stream?.body ?? []) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      })().catch(() => undefined);

      await page.locator('[data-live="live"]').waitFor();
      await page.evaluate("document.querySelector('table.matrix').parentElement.scrollTop = 1e9");
      await page.locator(`td.cell[data-stage="${leaf}"][data-service="${lastService}"]`).waitFor();
      await watchRow(page, leaf);
      progress(`web: ${plan.updates} live updates, one at a time, into stage ${leaf} …`);
      const onScreen: number[] = [];
      const atClient: number[] = [];
      let ahead = 0;
      for (let i = 0; i < plan.updates; i++) {
        const service = serviceName(i % plan.services);
        // Straight to the engine (the server runs --open-read, without a token to POST): the timing starts at a commit either way.
        const d = await slipway.engine.apply({ type: 'trigger', id: `web-live-${i}`, project: WEB_PROJECT, artifacts: { [service]: `registry.example/${WEB_PROJECT}/${service}:2.0.${i}` }, stage: leaf, provenance: { source: 'bench' } });
        const releaseId = d.value?.releaseId;
        if (d.error || releaseId === undefined) throw new Error(`trigger into ${leaf}: ${d.error?.message ?? d.ignored ?? 'no release id'}`);
        const seen = await seenAt(page, releaseId, 30_000);
        // The live feed reads committed events from the store, so on a busy event loop it can
        // send a run's end before the engine has announced that commit (run:finished, this
        // bench's clock): such a sample counts from the announcement, at or below zero.
        let c = committed.get(releaseId);
        if (!c) {
          ahead++;
          const until = performance.now() + 5_000;
          while (!(c = committed.get(releaseId)) && performance.now() < until) await new Promise((r) => setTimeout(r, 2));
          if (!c) throw new Error(`release ${releaseId} showed on screen, but the engine did not announce its run.finished within 5 s`);
        }
        onScreen.push(seen - c.wall);
        const a = arrived.get(c.runId);
        if (a !== undefined) atClient.push(a - c.mono);
      }
      slipway.engine.emitter.off('run:finished', onFinished);
      const sorted = [...onScreen].sort((a, b) => a - b);
      const live = {
        updates: sorted.length,
        p50Ms: round(percentile(sorted, 50, true), 1),
        p99Ms: round(percentile(sorted, 99, true), 1),
        maxMs: round(sorted.at(-1) ?? Number.NaN, 1),
        sseP50Ms: round(percentile(atClient, 50), 2),
        sseP99Ms: round(percentile(atClient, 99), 2),
        aheadOfAnnouncement: ahead,
      };
      progress(`  on screen p50 ${live.p50Ms} ms, p99 ${live.p99Ms} ms, max ${live.maxMs} ms; at a plain SSE client p50 ${live.sseP50Ms} ms, p99 ${live.sseP99Ms} ms (${atClient.length} seen)${ahead > 0 ? `; ${ahead} painted before the engine announced the commit` : ''}`);
      return {
        stages: plan.stages,
        services: plan.services,
        seed,
        matrixBytes,
        matrixApiMs: median(api),
        shellReadyMs: median(shell),
        matrixColdMs,
        matrixReadyMs,
        matrixReadyMedianMs: median(matrixReadyMs),
        live,
      };
    } finally {
      sse.abort();
    }
  } finally {
    await (await launching.catch(() => undefined))?.close();
    await closeServer();
  }
}
