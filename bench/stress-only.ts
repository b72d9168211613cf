/** `node dist/bench/bench/stress-only.js [--quick] [--seconds N]`: the stress part alone, as JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STRESS_PLANS, runStress } from './stress.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string' } } });
const plan = STRESS_PLANS[values.quick ? 'quick' : 'full'];
const root = mkdtempSync(join(tmpdir(), 'slipway-bench-stress-'));
try {
  const r = await runStress(root, { ...plan, ...(values.seconds ? { seconds: Number(values.seconds) } : {}) }, (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(`${JSON.stringify({ ...r, samples: undefined })}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
