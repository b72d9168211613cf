/** `node dist/bench/bench/flags-only.js [--quick]`: the flags bench alone (see flags-bench.ts). */
import { FLAG_EVAL_P99_TARGET_US, runFlagsBench } from './flags-bench.js';

const quick = process.argv.includes('--quick');
const started = performance.now();
const r = await runFlagsBench(quick ? { evaluations: 20_000, requests: 200, connections: 20 } : { evaluations: 200_000, requests: 20_000, connections: 50 }, (l) => process.stderr.write(`${l}\n`));
process.stdout.write(`${JSON.stringify({ 'flags.eval_p99_us': r.evalP99Us, 'flags.evals_per_s': r.evalsPerS, 'flags.reference_per_s': r.referencePerS, met: r.evalP99Us < FLAG_EVAL_P99_TARGET_US, seconds: Math.round((performance.now() - started) / 100) / 10 })}\n`);
