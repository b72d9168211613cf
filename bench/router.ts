/**
 * `node dist/bench/bench/router.js [--json] [--quick] [--rounds N] [--connections C] [--seconds S] [--profile DIR]`
 * (or `npx tsx bench/router.ts …`): the router against the backend direct and against nginx.
 * Progress goes to stderr; stdout carries the text report, or with --json exactly one JSON object.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runRouterBench } from './router-bench.js';
import { formatRouterText, routerFiguresOf } from './router-report.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    seconds: { type: 'string' },
    profile: { type: 'string' },
  },
});

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const seconds = Number(args.seconds ?? (args.quick ? 2 : 5));
const plan = {
  seconds,
  warmupSeconds: 1,
  connections: Number(args.connections ?? 50),
  paced: { connections: 10, rate: 2000 },
  rounds: Number(args.rounds ?? (args.quick ? 1 : 3)),
  profileDir: args.profile,
};

const load = Math.round((loadavg()[0] ?? 0) * 100) / 100;
const result = await runRouterBench(plan, progress);
const machine = { cpus: cpus().length, node: process.version, loadavg1m: load };
if (args.json) {
  const { figures, targets } = routerFiguresOf(result);
  process.stdout.write(`${JSON.stringify({ bench: 'slipway-router', date: new Date().toISOString(), machine, figures, targets, result })}\n`);
} else {
  process.stdout.write(`${formatRouterText(result)}\n\nmachine: ${machine.cpus} CPUs, node ${machine.node}, load average ${load} at the start\n`);
}
