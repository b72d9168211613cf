/**
 * One bad request never fails another: hostile clients (bodies nested thousands deep,
 * outputs and payloads far over the limit, on finish, signal and CloudEvents) hammer a
 * real `slipway server` while it runs 20 real shell runs and answers other triggers.
 * Every hostile request gets a 4xx in the documented shape; every run succeeds; every
 * trigger answers 201; the tasks the hostile clients aimed at are untouched.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from './support/server-process.js';
import { startServerProcess } from './support/server-process.js';

const ADMIN = 'slw_e2e-hostile-admin-0123456789abcdef';
const SHOP = Array.from({ length: 20 }, (_, i) => `s${i}`);

const pipelines = {
  'shop.yaml': `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [${SHOP.join(', ')}]
  stages:
    - name: dev
      tasks:
        - {name: build, kind: shell, timeout: 30s, properties: {run: 'sleep 1 && echo built'}}
        - {name: check, kind: shell, timeout: 30s, properties: {run: 'echo checked'}}
`,
  'side.yaml': `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: side}
spec:
  services: [app]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: noop}
`,
  'soakbait.yaml': `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: soakbait}
spec:
  services: [svc]
  stages:
    - name: dev
      tasks:
        - {name: soak, kind: wait, properties: {duration: 1h}}
`,
  'extbait.yaml': `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: extbait}
spec:
  services: [svc]
  stages:
    - name: dev
      tasks:
        - {name: probe, kind: ext, timeout: 1h}
`,
};

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-hostile-'));
  for (const [file, text] of Object.entries(pipelines)) await writeFile(join(dir, file), text);
  server = await startServerProcess([...Object.keys(pipelines), '--data', 'data', '--outside-kinds', 'ext'], dir, { SLIPWAY_ADMIN_TOKEN: ADMIN });
});
afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: unknown;
}

async function send(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, the shape check below reports it
  }
  return { status: res.status, body: parsed };
}

/** JSON text of an object nested `depth` levels, built as text (the test must not overflow making it). */
const deep = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** JSON text of a flat object about `bytes` long. */
const huge = (bytes: number): string => `{"blob":"${'x'.repeat(bytes)}"}`;

async function trigger(project: string, artifacts: Record<string, string>): Promise<Answer> {
  return send('POST', `/api/v1/projects/${project}/releases`, JSON.stringify({ artifacts }));
}

async function runOf(runId: string): Promise<{ state: string; tasks: { name: string; state: string }[] }> {
  const a = await send('GET', `/api/v1/runs/${runId}`);
  return a.body as { state: string; tasks: { name: string; state: string }[] };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function cloudEvent(taskId: string, task: string, data: string, extra = ''): string {
  return `{"specversion":"1.0","id":"${crypto.randomUUID()}","source":"hostile","type":"sh.slipway.task.${task}.finished","taskid":"${taskId}","datacontenttype":"application/json"${extra},"data":${data}}`;
}

describe('hostile clients beside real work', () => {
  it('every hostile request gets a 4xx naming its field, while 20 shell runs succeed and every trigger answers 201', async () => {
    // The targets: a soak waiting for a signal, and a task waiting for an outside executor.
    const soakRun = await trigger('soakbait', { svc: '1' });
    const extRun = await trigger('extbait', { svc: '1' });
    expect([soakRun.status, extRun.status]).toEqual([201, 201]);
    const soakRunId = (soakRun.body as { runId: string }).runId;
    const extRunId = (extRun.body as { runId: string }).runId;
    await until('the soak to wait', async () => ((await runOf(soakRunId)).tasks[0]?.state === 'waiting' ? true : undefined));
    const soak = `${soakRunId}.soak.1`;
    const probe = `${extRunId}.probe.1`;
    const probeState = (await runOf(extRunId)).tasks[0]!.state;

    const hostile: { name: string; send: () => Promise<Answer>; field: RegExp }[] = [
      { name: 'finish, output 10,000 deep', send: () => send('POST', `/api/v1/tasks/${probe}/finish`, `{"result":"pass","output":${deep(10_000)}}`), field: /^output\.a(\.a)*$/ },
      { name: 'finish, output 40 deep', send: () => send('POST', `/api/v1/tasks/${probe}/finish`, `{"result":"pass","output":${deep(40)}}`), field: /^output\.a(\.a)*$/ },
      { name: 'finish, output 300 KB', send: () => send('POST', `/api/v1/tasks/${probe}/finish`, `{"result":"pass","output":${huge(300_000)}}`), field: /^output$/ },
      { name: 'signal, payload 10,000 deep', send: () => send('POST', `/api/v1/tasks/${soak}/signal`, `{"signal":"skip","payload":${deep(10_000)}}`), field: /^payload\.a(\.a)*$/ },
      { name: 'signal, payload 300 KB', send: () => send('POST', `/api/v1/tasks/${soak}/signal`, `{"signal":"skip","payload":${huge(300_000)}}`), field: /^payload$/ },
      {
        name: 'CloudEvent, data.output 10,000 deep',
        send: () => send('POST', '/api/v1/events', cloudEvent(probe, 'probe', `{"result":"pass","output":${deep(10_000)}}`), 'application/cloudevents+json'),
        field: /^data\.output\.a(\.a)*$/,
      },
      {
        name: 'CloudEvent, data.output 300 KB',
        send: () => send('POST', '/api/v1/events', cloudEvent(probe, 'probe', `{"result":"pass","output":${huge(300_000)}}`), 'application/cloudevents+json'),
        field: /^data\.output$/,
      },
      {
        name: 'CloudEvent, specversion 5,000 deep',
        send: () => send('POST', '/api/v1/events', `{"specversion":${deep(5_000)},"id":"x","source":"hostile","type":"sh.slipway.task.probe.finished","taskid":"${probe}"}`, 'application/cloudevents+json'),
        field: /^specversion\.a(\.a)*$/,
      },
      { name: 'trigger, artifacts 10,000 deep', send: () => send('POST', '/api/v1/projects/side/releases', `{"artifacts":${deep(10_000)}}`), field: /^artifacts\.a(\.a)*$/ },
    ];
    const answers: { name: string; field: RegExp; answer: Answer }[] = [];
    // While the real work runs, the requests nested thousands deep (which, let through, would
    // reach the engine again and again); the ones that, let through, would end their target
    // come once the work is done, so each kind is aimed at a live target.
    const during = hostile.filter((h) => /000 deep/.test(h.name));
    let stop = false;
    const client = async (offset: number) => {
      for (let i = offset; !stop; i++) {
        const h = during[i % during.length]!;
        answers.push({ name: h.name, field: h.field, answer: await h.send() });
      }
    };
    const clients = [client(0), client(2)];

    // Real work beside them: 20 shell runs, and more triggers while they run.
    const shop = await Promise.all(SHOP.map((s) => trigger('shop', { [s]: `${s}:1.0.0` })));
    const side: Answer[] = [];
    for (let i = 0; i < 20; i++) side.push(...(await Promise.all([trigger('side', { app: `app:${i}.0` }), trigger('side', { app: `app:${i}.1` })])));
    const runIds = shop.map((a) => (a.body as { runId?: string }).runId);
    const finished = await until(
      'the 20 shop runs to end',
      async () => {
        if (runIds.some((id) => id === undefined)) return [];
        const runs = await Promise.all(runIds.map((id) => runOf(id!)));
        return runs.every((r) => ['succeeded', 'failed', 'aborted'].includes(r.state)) ? runs : undefined;
      },
      90_000,
    );
    await until('the deep requests to be answered a few times each', async () => (answers.length >= during.length * 3 ? true : undefined));
    stop = true;
    await Promise.all(clients);
    for (const h of hostile) answers.push({ name: h.name, field: h.field, answer: await h.send() });

    expect(shop.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(side.map((a) => a.status)).toEqual(Array(40).fill(201));
    expect(finished.map((r) => r.state)).toEqual(Array(20).fill('succeeded'));

    const wrong = answers.filter(({ answer, field }) => {
      const b = answer.body as { code?: unknown; message?: unknown; field?: unknown };
      return !(answer.status >= 400 && answer.status < 500 && typeof b.code === 'string' && typeof b.message === 'string' && typeof b.field === 'string' && field.test(b.field));
    });
    expect(wrong.map(({ name, answer }) => `${name}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)).toEqual([]);
    expect(new Set(answers.map((a) => (a.answer.body as { code: string }).code))).toEqual(new Set(['INVALID_INPUT']));

    // What they aimed at is untouched.
    expect((await runOf(soakRunId)).tasks[0]!.state).toBe('waiting');
    expect((await runOf(extRunId)).tasks[0]!.state).toBe(probeState);
    expect(server.stderr()).not.toMatch(/Maximum call stack|could not commit/);
  }, 180_000);
});
