/**
 * `flags.eval_p99_us`: one OFREP flag evaluation's server-side work (the in-memory FlagBook:
 * find project and stage, rules, the bucket hash), timed per call in-process over many users,
 * with a flag rolled out to 25% through the engine. `flags.evals_per_s`: single-flag OFREP
 * evaluations per second over HTTP on 127.0.0.1 through the real server (token check, body
 * parse, evaluation, JSON answer), beside the same-run reference: a trivial JSON endpoint
 * (`GET /healthz`) on the same server, same load generator and concurrency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../src/api/index.js';
import { saveToken } from '../src/api/auth/tokens.js';
import { openSlipway } from '../src/main.js';
import { runLoad, type LoadRequest } from './http-load.js';
import { percentile, round } from './stats.js';

export interface FlagsBenchResult {
  evaluations: number;
  evalP50Us: number;
  evalP99Us: number;
  evalsPerS: number;
  referencePerS: number;
  /** evals_per_s over the reference's requests per second. */
  ratio: number;
  connections: number;
}

export const FLAG_EVAL_P99_TARGET_US = 1000;

const PIPELINE = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: flagbench}
spec:
  flags:
    new-checkout: {variants: {on: true, off: false}, default: off}
    banner: {variants: {blue: {color: blue}, red: {color: red}}, default: blue}
  stages:
    - name: staging
      tasks: [{name: deploy, kind: noop}]
    - name: production
      tasks: [{name: deploy, kind: noop}]
`;

export async function runFlagsBench(opts: { evaluations: number; requests: number; connections: number }, progress: (line: string) => void): Promise<FlagsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-flags-bench-'));
  const sw = await openSlipway({ dataDir: dir });
  try {
    await sw.addPipelineText(PIPELINE, 'bench:flagbench', dir);
    await sw.engine.apply({ type: 'flag.set', id: 'bench-flag-1', by: 'bench', project: 'flagbench', stage: 'production', flag: 'new-checkout', rollout: { variant: 'on', percent: 25, rules: [{ attribute: 'email', op: 'endsWith', value: '@example.com', variant: 'on' }] } });
    progress(`flags: ${opts.evaluations} in-process evaluations …`);
    const times: number[] = [];
    let on = 0;
    for (let i = 0; i < opts.evaluations; i++) {
      const context = { targetingKey: `user-${i}`, stage: 'production', email: `user-${i}@shop.test` };
      const s = performance.now();
      const e = sw.flags.evaluate('new-checkout', context);
      times.push((performance.now() - s) * 1000);
      if ('value' in e && e.value === true) on++;
    }
    if (on === 0) throw new Error('flags bench: no user got the rolled-out variant');
    times.sort((a, b) => a - b);
    const token = `slw_bench-${Date.now()}`;
    await saveToken(sw.store, { name: 'flag-bench', scopes: ['read'], token, now: Date.now() });
    const app = await buildServer({ slipway: sw, openRead: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const flagRequests: LoadRequest[] = Array.from({ length: opts.requests }, (_, i) => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags/new-checkout', body: { context: { targetingKey: `user-${i}`, stage: 'production' } } }));
      const refRequests: LoadRequest[] = Array.from({ length: opts.requests }, () => ({ method: 'GET', path: '/healthz' }));
      progress(`flags: ${opts.requests} OFREP evaluations and ${opts.requests} GET /healthz over HTTP at ${opts.connections} connections …`);
      // Warm both paths (JIT, connections) before measuring.
      await runLoad({ origin, token, concurrency: opts.connections, expect: 200, requests: flagRequests.slice(0, 100) });
      await runLoad({ origin, token, concurrency: opts.connections, expect: 200, requests: refRequests.slice(0, 100) });
      const flags = await runLoad({ origin, token, concurrency: opts.connections, expect: 200, requests: flagRequests });
      const ref = await runLoad({ origin, token, concurrency: opts.connections, expect: 200, requests: refRequests });
      for (const [what, r] of [['flags', flags], ['reference', ref]] as const) {
        if ((r.statuses['200'] ?? 0) !== opts.requests) throw new Error(`flags bench: ${what} answers ${JSON.stringify(r.statuses)}: ${r.errors.join('; ')}`);
      }
      const evalsPerS = round(opts.requests / flags.seconds, 0);
      const referencePerS = round(opts.requests / ref.seconds, 0);
      const result: FlagsBenchResult = {
        evaluations: times.length,
        evalP50Us: round(percentile(times, 50, true), 2),
        evalP99Us: round(percentile(times, 99, true), 2),
        evalsPerS,
        referencePerS,
        ratio: round(evalsPerS / referencePerS, 2),
        connections: opts.connections,
      };
      progress(`  eval p50 ${result.evalP50Us} µs, p99 ${result.evalP99Us} µs in-process; ${evalsPerS}/s over HTTP vs ${referencePerS}/s for GET /healthz (×${result.ratio})`);
      return result;
    } finally {
      await app.close();
    }
  } finally {
    await sw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
