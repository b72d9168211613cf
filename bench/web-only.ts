/**
 * `node dist/bench/bench/web-only.js [--quick]`: only the web figures (bench/web.ts), for a
 * quick look at the dashboard's numbers without the rest of `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runWebBench } from './web.js';
import { WEB_PLANS } from './web-plan.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-web-'));
runWebBench(dir, WEB_PLANS[args.quick ? 'quick' : 'full'], (l) => process.stderr.write(`${l}\n`))
  .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
  .catch((e: unknown) => {
    process.stderr.write(`web bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
