#!/usr/bin/env node
// The `slipway` command. Built code lives in dist/ (npm ci runs the build through `prepare`):
// dist/bundle/slipway.js is the command bundled, with chunks it loads as needed (scripts/bundle.js says why).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/bundle/slipway.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('slipway: dist/bundle/slipway.js is missing; run `npm run build` (npm ci does it for you)\n');
  process.exit(2);
}
await import(entry);
