/** `npm run schema`: regenerate schema/slipway.schema.json (a test fails when it is stale). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipelineJsonSchema } from './index.js';

const target = fileURLToPath(new URL('../../schema/slipway.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
