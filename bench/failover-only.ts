/** `node dist/bench/bench/failover-only.js [--quick]`: the PostgreSQL failover bench alone (see failover-bench.ts). */
import { FAILOVER_TARGET_S, runFailoverBench } from './failover-bench.js';

const quick = process.argv.includes('--quick');
const r = await runFailoverBench(quick ? 1 : 3, (l) => process.stderr.write(`${l}\n`));
process.stdout.write(`${JSON.stringify('skipped' in r ? r : { 'pg.failover_s': r.failoverS, samples: r.samples, leaseMs: r.leaseMs, met: r.failoverS < FAILOVER_TARGET_S })}\n`);
