/**
 * Child process of the router bench: the load generator, started once for the whole part (a
 * process per measurement cost about half a second of Node start-up and module loading each,
 * several seconds of a `--quick` run). It runs outside the bench's process so that it does not
 * share an event loop with the router under test.
 *
 * Reads one JSON command per line on stdin (a `GenCommand`) and answers each, one at a time, with
 * JSON lines on stdout: `{"measuring":true}` when the measured part of a saturated run starts
 * (after its warm-up; the parent reads the target's CPU time then), then `{"result":…}` or
 * `{"error":"…"}`. Saturated runs are autocannon's (closed loop, as fast as answers come);
 * paced ones bench/router-paced.ts's.
 */
import autocannon from 'autocannon';
import { createInterface } from 'node:readline';
import { pacedRun } from './router-paced.js';
import type { GenCommand, LoadResult } from './router-load.js';

const send = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

async function saturated(url: string, connections: number, seconds: number): Promise<LoadResult> {
  // autocannon checks for its end at each sample (every 1 s by default): a 0.5 s warm-up ran 1 s.
  const r = await autocannon({ url, connections, duration: seconds, sampleInt: 100 });
  return {
    rps: r.requests.total / r.duration,
    requests: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

async function run(c: GenCommand): Promise<LoadResult> {
  if (c.rate !== undefined) return pacedRun(c.url, c.connections, c.rate, c.seconds, c.warmupSeconds);
  if (c.warmupSeconds > 0) await saturated(c.url, c.connections, c.warmupSeconds);
  send({ measuring: true });
  return saturated(c.url, c.connections, c.seconds);
}

// One command at a time: the parent waits for each answer before it sends the next.
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    send({ result: await run(JSON.parse(line) as GenCommand) });
  } catch (e) {
    send({ error: e instanceof Error ? e.message : String(e) });
  }
}
