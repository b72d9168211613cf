/** Instance logs stay bounded in memory and on disk, whatever the app prints. */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/platform/manifest/index.js';
import { instanceId, supervisor, tempDir, waitUntil } from './helpers.js';

const NOISY = `const http = require('node:http');
let i = 0;
const burst = () => { for (let n = 0; n < 500; n++) console.log('line ' + i++); };
burst();
http.createServer((req, res) => { if (req.url === '/burst') burst(); res.end('ok'); }).listen(process.env.PORT, '127.0.0.1');
`;

describe('instance logs', () => {
  it('keep the last lines in memory and rotate the file at its cap', async () => {
    const app = tempDir();
    writeFileSync(join(app, 'noisy.cjs'), NOISY);
    writeFileSync(join(app, 'slipway-app.yaml'), 'start: node noisy.cjs\nhealth:\n  path: /\n  intervalMs: 50\n');
    const dataDir = tempDir();
    const sup = supervisor({ dataDir, logLimits: { fileBytes: 2048, ringLines: 40 } });
    const id = instanceId('noisy');
    const instance = await sup.start({ id, dir: app, manifest: await loadManifest(app) });

    // The app printed its first burst before it listened, but the supervisor reads the pipe on
    // its own time: a health check can pass before the last chunk is read.
    await waitUntil(async () => (await sup.logs(id, { tail: 1 }))[0] === 'line 499', 10_000, 'the first burst');
    const tail = await sup.logs(id, { tail: 1000 });
    expect(tail.length).toBeLessThanOrEqual(40);
    expect(tail.at(-1)).toBe('line 499');
    expect(await sup.logs(id, { tail: 2 })).toEqual(['line 498', 'line 499']);

    // A request to /burst prints 500 more lines; both files stay within the cap.
    const logDir = join(dataDir, 'logs');
    await fetch(`${instance.url}/burst`);
    await waitUntil(async () => (await sup.logs(id, { tail: 1 }))[0] === 'line 999', 10_000, 'the second burst');
    const sizes = readdirSync(logDir).map((f) => statSync(join(logDir, f)).size);
    expect(readdirSync(logDir)).toHaveLength(2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2048);
  });

  it('asking for the logs of an unknown instance names the ones that exist', async () => {
    const sup = supervisor();
    await expect(sup.logs('nope')).rejects.toThrow(/no instance 'nope' is supervised; supervised instances: none/);
  });
});
