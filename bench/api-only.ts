/**
 * `node [--cpu-prof] dist/bench/bench/api-only.js [--quick]`: only the API part (bench/api.ts) with
 * its under-load phase, for working on status latency; the figures as JSON on stdout.
 * `--sse-clients N` (default 200) live readers; `--sse-gzip`: they ask for the stream gzip-compressed and inflate it (as browsers do; the bench's readers take plain text, see under-load.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runApiScenario } from './api.js';
import { apiFiguresOf } from './report.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string', default: '5' }, 'sse-gzip': { type: 'boolean', default: false }, 'sse-clients': { type: 'string', default: '200' } } });
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-api-'));
const base = { projects: 50, services: 50, statusConcurrency: [10], statusHeadline: 10, triggerConcurrency: 10, seed: 'bracket' as const };
const plan = args.quick
  ? { ...base, statusWarmup: 200, statusRequests: 500, triggerWarmup: 20, triggerRequests: 100, mixedTriggerRequests: 50, drainTimeoutMs: 30_000 }
  : { ...base, statusWarmup: 500, statusRequests: 1500, triggerWarmup: 50, triggerRequests: 500, mixedTriggerRequests: 300, drainTimeoutMs: 30_000 };
runApiScenario(dir, { ...plan, underLoad: { seconds: Number(args.seconds), statusPerS: 50, triggersPerS: 100, sseClients: Number(args['sse-clients']), sseGzip: args['sse-gzip'] } }, (l) => process.stderr.write(`${l}\n`))
  .then((r) => process.stdout.write(`${JSON.stringify({ figures: apiFiguresOf(r).figures, underLoad: r.underLoad })}\n`))
  .catch((e: unknown) => {
    process.stderr.write(`api bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
