/**
 * `checks.gate_samples_per_s`: gate signals read per second while 1,000 runs wait in release
 * gates, each sampling three signals every second (a real HTTP health endpoint on 127.0.0.1 with
 * a JSON condition, business hours in Europe/Berlin, and "no run failed in the stage in the last
 * hour" read from the SQLite store), through the real composition root. Every sample is a
 * committed `.waiting` event. The reference, measured in the same run: how long one instant query
 * to a real Prometheus takes (Debian's binary; absent: the figure is reported without it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { queryPrometheus } from '../src/evaluation/index.js';
import { openSlipway } from '../src/main.js';
import { prometheusAvailable, startPrometheusStack, type PrometheusStack } from '../test/support/prometheus.js';
import { percentile, round } from './stats.js';

export interface GateBenchResult {
  runs: number;
  signalsPerGate: number;
  seconds: number;
  samples: number;
  signalsPerS: number;
  /** What the gates asked for: runs × signals per second. */
  demandedPerS: number;
  /** Median of sequential instant queries to a real Prometheus; null without one. */
  prometheusQueryMs: number | null;
}

const SIGNALS = 3;

function pipelineText(runs: number, healthUrl: string): string {
  const services = Array.from({ length: runs }, (_, i) => `s${i}`).join(', ');
  return `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: gatebench}
spec:
  services: [${services}]
  stages:
    - name: dev
      tasks:
        - name: hold
          kind: gate
          properties:
            interval: 1s
            steady: 1h
            timeout: 2h
            signals:
              - {name: health, http: {url: '${healthUrl}', condition: '$.status == "green"'}}
              - {name: hours, businessHours: {timeZone: Europe/Berlin, days: [mon, tue, wed, thu, fri, sat, sun], from: '00:00', to: '24:00'}}
              - {name: quiet, stage: {name: dev, noFailedRunsFor: 1h}}
`;
}

async function health(): Promise<{ server: Server; url: string }> {
  const body = JSON.stringify({ status: 'green' });
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health` };
}

/** Starts the Prometheus the reference queries, or says why there is none. */
async function startReference(): Promise<PrometheusStack | string> {
  if (!prometheusAvailable()) return 'no Prometheus binary here';
  // The reference is information beside the gate figure: a Prometheus that does not start (a
  // machine too busy for its 10 s timeout) leaves it out, with the reason, rather than ending the bench.
  return startPrometheusStack({ targets: [] }).catch((e: unknown) => `Prometheus did not start (${((e as Error).message ?? String(e)).split('\n')[0] ?? ''})`);
}

async function prometheusQueryMs(progress: (l: string) => void, queries: number, stack: PrometheusStack | string): Promise<number | null> {
  if (typeof stack === 'string') {
    progress(`  ${stack}: the reference is left out`);
    return null;
  }
  try {
    for (let i = 0; i < 20; i++) await queryPrometheus(stack.prometheusUrl, 'vector(1)');
    const times: number[] = [];
    for (let i = 0; i < queries; i++) {
      const t = performance.now();
      await queryPrometheus(stack.prometheusUrl, 'vector(1)');
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return round(percentile(times, 50, true), 3);
  } catch (e) {
    progress(`  Prometheus did not answer (${(e as Error).message}): the reference is left out`);
    return null;
  }
}

/** `runs` gates sampled for `seconds`; `queries`: the Prometheus reference's count (default 200). */
export interface GatePlan {
  runs: number;
  seconds: number;
  queries?: number;
}

export async function runGateBench(dataDir: string, opts: GatePlan, progress: (l: string) => void): Promise<GateBenchResult> {
  progress(`checks: ${opts.runs} runs waiting in gates of ${SIGNALS} signals sampled every second …`);
  // The reference's Prometheus starts (its own process, about half a second) while the gates
  // fill; it is queried after the gates are measured.
  const reference = startReference();
  try {
    return await measureGates(dataDir, opts, progress, reference);
  } finally {
    const stack = await reference;
    if (typeof stack !== 'string') await stack.stop();
  }
}

async function measureGates(dataDir: string, opts: GatePlan, progress: (l: string) => void, reference: Promise<PrometheusStack | string>): Promise<GateBenchResult> {
  const { server, url } = await health();
  const slipway = await openSlipway({ dataDir }).catch((e: unknown) => {
    server.close();
    throw e;
  });
  try {
    await slipway.addPipelineText(pipelineText(opts.runs, url), 'gate-bench.yaml', dataDir);
    const { engine } = slipway;
    let samples = 0;
    const firstSampled = new Set<string>();
    let allWaiting: () => void = () => undefined;
    const waiting = new Promise<void>((r) => (allWaiting = r));
    engine.emitter.on('event', (ev) => {
      if (!ev.type.endsWith('.hold.waiting')) return;
      samples++;
      const run = ev.runid ?? String(samples);
      if (firstSampled.size < opts.runs) {
        firstSampled.add(run);
        if (firstSampled.size === opts.runs) allWaiting();
      }
    });
    await Promise.all(Array.from({ length: opts.runs }, (_, i) => engine.apply({ type: 'trigger', id: `gate-bench-${i}`, project: 'gatebench', artifacts: { [`s${i}`]: 'bench:1' } })));
    const deadline = setTimeout(() => allWaiting(), 60_000);
    await waiting;
    clearTimeout(deadline);
    if (firstSampled.size < opts.runs) throw new Error(`only ${firstSampled.size} of ${opts.runs} gates took a first sample within 60 s`);
    const before = samples;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    const seconds = (performance.now() - start) / 1000;
    const taken = samples - before;
    progress(`  ${taken} samples (${taken * SIGNALS} signals) in ${round(seconds, 2)} s`);
    const queryMs = await prometheusQueryMs(progress, opts.queries ?? 200, await reference);
    return {
      runs: opts.runs,
      signalsPerGate: SIGNALS,
      seconds: round(seconds, 2),
      samples: taken,
      signalsPerS: round((taken * SIGNALS) / seconds, 0),
      demandedPerS: opts.runs * SIGNALS,
      prometheusQueryMs: queryMs,
    };
  } finally {
    await slipway.close();
    server.close();
  }
}
