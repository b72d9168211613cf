/**
 * `node dist/bench/bench/replicas3-only.js [--quick] [--concurrency N] [--unfinished N] [--measure S]`:
 * the PostgreSQL replicas bench alone (see replicas3-bench.ts); prints its figures as JSON.
 */
import { parseArgs } from 'node:util';
import { REPLICAS3_PLANS, runReplicas3Bench } from './replicas3-bench.js';
import { formatReplicas3Text, replicas3FiguresOf } from './replicas3-report.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, concurrency: { type: 'string' }, unfinished: { type: 'string' }, measure: { type: 'string' } } });
const base = REPLICAS3_PLANS[args.quick ? 'quick' : 'full'];
const plan = {
  ...base,
  ...(args.concurrency ? { concurrency: Number(args.concurrency) } : {}),
  ...(args.unfinished ? { unfinished: Number(args.unfinished) } : {}),
  ...(args.measure ? { measureS: Number(args.measure) } : {}),
};
const started = performance.now();
const r = await runReplicas3Bench(plan, (l) => process.stderr.write(`${l}\n`));
const seconds = Math.round((performance.now() - started) / 100) / 10;
process.stderr.write(`${formatReplicas3Text(r)}\n(${seconds} s)\n`);
process.stdout.write(`${JSON.stringify({ ...replicas3FiguresOf(r), seconds, outcome: r }, null, 2)}\n`);
