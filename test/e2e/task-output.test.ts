/**
 * A shell task's output while it runs, through a real `slipway server`: the output route
 * hands out the lines printed so far (with a secret value redacted) before the command
 * ends, asking again from `next` gives only what came after, and `slipway runs logs RUN
 * TASK --follow` prints the lines as they come and exits when the task has ended.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { slipway } from './support/slipway-process.js';

const ADMIN = 'slw_e2e-output-admin-0123456789abcdef';
const CANARY = 'canary-output-5e1f9a2b77';

let dir: string;
let server: ServerProcess;

interface Output {
  taskId: string;
  state: string;
  from: number;
  next: number;
  text: string;
  done: boolean;
  logged: boolean;
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as T };
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The command waits for a file the test writes: it is provably still running while the test reads.
const pipeline = (gate: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [web]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
        - name: smoke
          kind: shell
          properties:
            env: {TOKEN: '\${secret:CANARY}'}
            run: |
              echo "first line, token $TOKEN"
              printf 'a partial line'
              while [ ! -f '${gate}' ]; do sleep 0.05; done
              echo ' now complete'
              echo "last line"
`;

describe('shell task output while it runs', () => {
  let runId: string;
  const gate = () => join(dir, 'go');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-output-'));
    await writeFile(join(dir, 'slipway.yaml'), pipeline(gate()));
    server = await startServerProcess(['--data', join(dir, 'data'), join(dir, 'slipway.yaml')], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_SECRET_CANARY: CANARY });
    const res = await fetch(`${server.url}/api/v1/projects/shop/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ artifacts: { web: 'registry/web:1.0.0' } }),
    });
    expect(res.status).toBeLessThan(300);
    runId = await poll('the dev run', async () => {
      const runs = (await get<{ runs: { id: string; stage: string }[] }>('/api/v1/runs?project=shop')).body.runs;
      return runs.find((r) => r.stage === 'dev')?.id;
    });
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hands out the complete lines printed so far, redacted, before the command ends; then the rest from next', async () => {
    const path = `/api/v1/runs/${runId}/tasks/smoke/output`;
    const first = await poll('the first line', async () => {
      const { body } = await get<Output>(path);
      return body.text ? body : undefined;
    });
    expect(first.state).toBe('started');
    expect(first.done).toBe(false);
    expect(first.text).toBe('first line, token [secret:CANARY]\n');
    // The partial line is in the log but not handed out until it is complete.
    const again = (await get<Output>(`${path}?from=${first.next}`)).body;
    expect(again).toMatchObject({ from: first.next, next: first.next, text: '', done: false });

    const follower = slipway(['runs', 'logs', runId, 'smoke', '--follow'], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN });
    await writeFile(gate(), '');
    const rest = await poll('the end of the output', async () => {
      const { body } = await get<Output>(`${path}?from=${first.next}`);
      return body.done ? body : undefined;
    });
    expect(rest.text).toBe('a partial line now complete\nlast line\n');
    expect(rest.state).toBe('finished');

    const exit = await follower.exited;
    expect(follower.stderr()).toBe('');
    expect(exit.code).toBe(0);
    expect(follower.stdout()).toBe('first line, token [secret:CANARY]\na partial line now complete\nlast line\n');
    expect(follower.stdout()).not.toContain(CANARY);
  });

  it('prints every shell task of a run without TASK, and names an unknown task with the ones there are', async () => {
    const all = slipway(['runs', 'logs', runId], dir, { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: ADMIN });
    expect((await all.exited).code).toBe(0);
    expect(all.stdout()).toMatch(/^== smoke \(.+\.smoke\.1\)\nfirst line, token \[secret:CANARY\]\n/);
    const missing = await get<{ message: string }>(`/api/v1/runs/${runId}/tasks/nope/output`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('its tasks: deploy, smoke');
  });
});
