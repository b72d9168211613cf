/**
 * Bad input on every route that takes a body: malformed JSON or YAML, the wrong content
 * type, an oversized body, unknown projects, stages, services, releases, runs and tasks.
 * Each is a 4xx with {code, message, field}, never a 5xx, and the store is left as it was.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YAML_TYPES } from '../../src/api/content.js';
import { ErrorCodes } from '../../src/core/index.js';
import { SHOP, startHarness, type Harness } from './harness.js';

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await startHarness({ bodyLimit: 4096 });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => h.close());

/** Everything a request could have written. */
async function snapshot() {
  const { store } = h.slipway;
  return {
    events: await store.lastEventSeq(),
    runs: (await store.listRuns({})).length,
    pipelines: await store.latestPipelines(),
    tokens: (await store.listTokens()).length,
    subscriptions: (await store.listSubscriptions()).length,
  };
}

async function expectRefused(res: { statusCode: number; json(): unknown; body: string }, status: number, code: string, field?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { code: string | number; message: string; field?: string; reason?: string; fields?: string };
  // Keptn's routes answer as Keptn's API did: {code: <status>, message}, Slipway's code in `reason`.
  expect(typeof body.code === 'number' ? body.reason : body.code).toBe(code);
  expect(body.message.length).toBeGreaterThan(10);
  if (field !== undefined) expect(body.field ?? body.fields).toBe(field);
}

/** Every route that takes a body, with the media types the OpenAPI document lists for it. */
async function bodyRoutes() {
  const doc = (await h.call('GET', '/api/v1/openapi.json')).json() as OpenApiDoc;
  return h.app.slipwayRoutes
    .filter((r) => r.method === 'POST' || r.method === 'PUT')
    .map((r) => ({
      ...r,
      types: Object.keys(doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]?.requestBody?.content ?? {}),
      url: r.url.replace(':project', 'shop').replace(':releaseId', 'rel-x').replace(':runId', 'run-x').replace(':taskId', 'run-x.deploy.1').replace(/:\w+/g, 'nope'),
    }));
}

type OpenApiDoc = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };

describe('every body route', () => {
  it('answers malformed JSON with 400 INVALID_INPUT naming the body, and writes nothing', async () => {
    const before = await snapshot();
    for (const r of (await bodyRoutes()).filter((x) => x.types.includes('application/json') || x.types.includes('application/cloudevents+json'))) {
      const type = r.types.includes('application/cloudevents+json') ? 'application/cloudevents+json' : 'application/json';
      const res = await h.call('POST', r.url, { body: '{"artifacts": {', headers: { 'content-type': type } });
      await expectRefused(res, 400, 'INVALID_INPUT', 'body');
      expect((res.json() as { message: string }).message).toMatch(/not valid JSON/);
    }
    expect(await snapshot()).toStrictEqual(before);
  });

  it('answers a content type it does not take with 415, before reading the body', async () => {
    const before = await snapshot();
    const routes = await bodyRoutes();
    for (const r of routes) {
      for (const type of ['application/json', 'text/yaml', 'application/xml'].filter((t) => !r.types.includes(t))) {
        await expectRefused(await h.call(r.method, r.url, { body: '{}', headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type');
      }
    }
    expect(routes.filter((r) => r.types.length === 0)).toStrictEqual([]);
    expect(await snapshot()).toStrictEqual(before);
  });

  it('answers a body over the limit with 413', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ artifacts: { frontend: 'x'.repeat(5000) } });
    for (const r of await bodyRoutes()) {
      const type = r.types[0]!;
      await expectRefused(await h.call(r.method, r.url, { body: big, headers: { 'content-type': type } }), 413, 'PAYLOAD_TOO_LARGE', 'body');
    }
    expect(await snapshot()).toStrictEqual(before);
  });
});

describe('releases', () => {
  const cases: [string, string, unknown, number, string, string][] = [
    ['unknown project', '/api/v1/projects/nope/releases', { artifacts: { frontend: 'f:1' } }, 404, 'UNKNOWN_PROJECT', 'project'],
    ['unknown stage', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'f:1' }, stage: 'prod' }, 404, 'UNKNOWN_STAGE', 'stage'],
    ['unknown service', '/api/v1/projects/shop/releases', { artifacts: { cart: 'c:1' } }, 400, 'UNKNOWN_SERVICE', 'artifacts.cart'],
    ['bad artifact reference', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'has space' } }, 400, 'INVALID_ARTIFACT', 'artifacts.frontend'],
    ['no artifacts', '/api/v1/projects/shop/releases', { artifacts: {} }, 400, 'INVALID_INPUT', 'artifacts'],
    ['artifacts missing', '/api/v1/projects/shop/releases', {}, 400, 'INVALID_INPUT', 'artifacts'],
    ['artifact not a string', '/api/v1/projects/shop/releases', { artifacts: { frontend: 42 } }, 400, 'INVALID_INPUT', 'artifacts.frontend'],
    ['bad commit time', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'f:1' }, commitTime: 'yesterday' }, 400, 'INVALID_INPUT', 'commitTime'],
    ['upstream not passed', '/api/v1/projects/shop/releases', { artifacts: { frontend: 'f:new' }, stage: 'production' }, 409, 'UPSTREAM_NOT_PASSED', 'artifacts.frontend'],
    ['promote an unknown release', '/api/v1/projects/shop/releases/rel-nope/promote', { stage: 'hardening' }, 404, 'UNKNOWN_RELEASE', 'releaseId'],
    ['promote to an unknown stage', '/api/v1/projects/shop/releases/rel-nope/promote', { stage: 'qa' }, 404, 'UNKNOWN_STAGE', 'stage'],
  ];
  for (const [what, url, body, status, code, field] of cases) {
    it(`${what}: ${status} ${code}, nothing written`, async () => {
      const before = await snapshot();
      await expectRefused(await h.call('POST', url, { body }), status, code, field);
      expect(await snapshot()).toStrictEqual(before);
    });
  }

  it('an unknown release or project to read is 404', async () => {
    await expectRefused(await h.call('GET', '/api/v1/projects/shop/releases/rel-nope'), 404, 'UNKNOWN_RELEASE', 'releaseId');
    await expectRefused(await h.call('GET', '/api/v1/projects/nope/status'), 404, 'UNKNOWN_PROJECT', 'project');
    await expectRefused(await h.call('GET', '/api/v1/projects/nope'), 404, 'UNKNOWN_PROJECT', 'project');
  });
});

describe('runs and tasks', () => {
  it('unknown runs and tasks are 404; bad ids, signals and queries are 400; nothing written', async () => {
    const before = await snapshot();
    await expectRefused(await h.call('GET', '/api/v1/runs/run-nope'), 404, 'UNKNOWN_RUN', 'runId');
    for (const action of ['abort', 'pause', 'resume', 'retry']) await expectRefused(await h.call('POST', `/api/v1/runs/run-nope/${action}`, { body: {} }), 404, 'UNKNOWN_RUN', 'runId');
    await expectRefused(await h.call('POST', '/api/v1/tasks/run-nope.approval.1/approve', { body: {} }), 404, 'UNKNOWN_TASK', 'taskId');
    await expectRefused(await h.call('POST', '/api/v1/tasks/not-a-task/signal', { body: { signal: 'stop' } }), 400, 'INVALID_INPUT', 'taskId');
    await expectRefused(await h.call('POST', '/api/v1/tasks/run-nope.soak.1/signal', { body: { signal: 'approve' } }), 400, 'INVALID_INPUT', 'signal');
    await expectRefused(await h.call('POST', '/api/v1/tasks/run-nope.test.1/finish', { body: { result: 'pass' } }), 404, 'UNKNOWN_TASK', 'taskId');
    await expectRefused(await h.call('POST', '/api/v1/tasks/run-nope.test.1/finish', { body: { result: 'great' } }), 400, 'INVALID_INPUT', 'result');
    await expectRefused(await h.call('POST', '/api/v1/tasks/run-nope.test.1/heartbeat', { body: {} }), 404, 'UNKNOWN_TASK', 'taskId');
    await expectRefused(await h.call('POST', '/api/v1/tasks/claim', { body: { kinds: [], executor: 'x' } }), 400, 'INVALID_INPUT', 'kinds');
    await expectRefused(await h.call('POST', '/api/v1/tasks/claim', { body: { kinds: ['pytest'], executor: 'x', waitMs: 60_000 } }), 400, 'INVALID_INPUT', 'waitMs');
    await expectRefused(await h.call('GET', '/api/v1/runs?limit=501'), 400, 'INVALID_INPUT', 'limit');
    await expectRefused(await h.call('GET', '/api/v1/runs?state=sleeping'), 400, 'INVALID_INPUT');
    await expectRefused(await h.call('GET', '/api/v1/runs?cursor=abc'), 400, 'INVALID_INPUT', 'cursor');
    await expectRefused(await h.call('GET', '/api/v1/events?after=-1'), 400, 'INVALID_INPUT', 'after');
    await expectRefused(await h.call('GET', '/api/v1/no/such/route'), 404, 'NOT_FOUND');
    expect(await snapshot()).toStrictEqual(before);
  });
});

/** Sends `text` as it is over a fresh socket and returns what came back until the server closed. */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Status and JSON body of a raw HTTP/1.1 answer. */
function parseAnswer(answer: string): { status: number; type: string; body: { code: string; message: string; field?: string } } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1]);
  const type = /content-type: ([^\r]+)/i.exec(head ?? '')?.[1] ?? '';
  return { status, type, body: JSON.parse(rest.join('\r\n\r\n')) as { code: string; message: string; field?: string } };
}

const authHeader = () => `authorization: Bearer ${h.tokens.admin}\r\n`;

describe('requests refused before a route runs answer in the same shape', () => {
  it('bad percent-encoding in a path is 400 INVALID_INPUT naming the path', async () => {
    const before = await snapshot();
    for (const path of ['/api/v1/runs/%E0%A4%A', '/api/v1/projects/%zz', '/api/v1/tasks/%/approve']) {
      const res = await h.call(path.endsWith('approve') ? 'POST' : 'GET', path, path.endsWith('approve') ? { body: {} } : {});
      await expectRefused(res, 400, 'INVALID_INPUT', 'path');
      expect((res.json() as { message: string }).message).toContain('%25');
    }
    const { status, body } = parseAnswer(await rawRequest(`GET /api/v1/runs/%E0%A4%A HTTP/1.1\r\nhost: x\r\n${authHeader()}connection: close\r\n\r\n`));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'INVALID_INPUT', field: 'path' });
    expect(await snapshot()).toStrictEqual(before);
  });

  it('takes task ids far longer than 100 characters, and answers a path parameter over 300 with 414 URI_TOO_LONG', async () => {
    const before = await snapshot();
    const long = `run-nope.${'t'.repeat(140)}.1`;
    await expectRefused(await h.call('POST', `/api/v1/tasks/${long}/approve`, { body: {} }), 404, 'UNKNOWN_TASK', 'taskId');
    await expectRefused(await h.call('POST', `/api/v1/tasks/run-nope.${'t'.repeat(300)}.1/approve`, { body: {} }), 414, 'URI_TOO_LONG', 'path');
    expect(await snapshot()).toStrictEqual(before);
  });

  it('headers or a URL beyond the parser limit are 431 HEADERS_TOO_LARGE in JSON, and the server keeps serving', async () => {
    const big = await fetch(`${base}/api/v1/runs`, { headers: { authorization: `Bearer ${h.tokens.admin}`, 'x-padding': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
    expect(big.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await big.json()).toMatchObject({ code: 'HEADERS_TOO_LARGE', field: 'headers', message: expect.stringMatching(/larger than \d+ bytes/) as string });

    const longUrl = parseAnswer(await rawRequest(`GET /api/v1/runs?project=${'p'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n${authHeader()}\r\n`));
    expect(longUrl.status).toBe(431);
    expect(longUrl.body.code).toBe('HEADERS_TOO_LARGE');
    expect(ErrorCodes.HEADERS_TOO_LARGE.status).toBe(431);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a request that is not HTTP is 400 INVALID_INPUT in JSON; CONNECT is a 404, not a silent close', async () => {
    const { status, type, body } = parseAnswer(await rawRequest('HELLO THERE\r\n\r\n'));
    expect(status).toBe(400);
    expect(type).toMatch(/^application\/json/);
    expect(body).toMatchObject({ code: 'INVALID_INPUT', field: 'request' });
    const connectAnswer = parseAnswer(await rawRequest('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n'));
    expect(connectAnswer.status).toBe(404);
    expect(connectAnswer.body).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a body of a type no parser takes on a route without a body is 415 naming content-type', async () => {
    const res = await h.call('DELETE', '/api/v1/tokens/nope', { body: '<a/>', headers: { 'content-type': 'application/xml' } });
    await expectRefused(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type');
  });

  it('a bad ?after= on the stream names after, a bad Last-Event-ID names last-event-id', async () => {
    await expectRefused(await h.call('GET', '/api/v1/events/stream?after=yesterday'), 400, 'INVALID_INPUT', 'after');
    await expectRefused(await h.call('GET', '/api/v1/events/stream', { headers: { 'last-event-id': 'x1' } }), 400, 'INVALID_INPUT', 'last-event-id');
  });
});

describe('the OpenAPI document', () => {
  type Doc = OpenApiDoc;

  it('lists YAML, not JSON, as what PUT /projects/{project} takes', async () => {
    const doc = (await h.call('GET', '/api/v1/openapi.json')).json() as Doc;
    expect(Object.keys(doc.paths['/api/v1/projects/{project}']!['put']!.requestBody!.content).sort()).toStrictEqual([...YAML_TYPES].sort());
  });

  it('lists for every body exactly the media types the server takes', async () => {
    const doc = (await h.call('GET', '/api/v1/openapi.json')).json() as Doc;
    const problems: string[] = [];
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!op.requestBody) continue;
        const url = path.replace('{project}', 'shop').replace('{releaseId}', 'rel-nope').replace('{runId}', 'run-nope').replace('{taskId}', 'run-nope.x.1').replace(/\{[^}]+\}/g, 'nope');
        for (const type of Object.keys(op.requestBody.content)) {
          const res = await h.call(method.toUpperCase(), url, { body: '{}', headers: { 'content-type': type } });
          if (res.statusCode === 415) problems.push(`${method} ${path} listed ${type} but refused it`);
          checked++;
        }
        const res = await h.call(method.toUpperCase(), url, { body: '{}', headers: { 'content-type': 'application/vnd.unlisted' } });
        if (res.statusCode !== 415) problems.push(`${method} ${path} took an unlisted type: ${res.statusCode}`);
      }
    }
    expect(problems).toStrictEqual([]);
    expect(checked).toBeGreaterThan(10);
  });
});

describe('projects', () => {
  const put = (name: string, yaml: string, type = 'application/yaml') => h.call('PUT', `/api/v1/projects/${name}`, { body: yaml, headers: { 'content-type': type } });

  it('YAML that does not parse is a 400 naming api:<name>:line:col, and no version is saved', async () => {
    const before = await snapshot();
    const res = await put('shop', 'apiVersion: slipway/v1\nkind: Pipeline\nmetadata: {name: shop\nspec: [\n');
    expect(res.statusCode).toBe(400);
    const body = res.json() as { code: string; message: string; line?: number };
    expect(body.code).toMatch(/^SPEC_/);
    expect(body.message).toMatch(/api:shop:\d+:\d+/);
    expect(await snapshot()).toStrictEqual(before);
  });

  it('a pipeline with a bad field is a 400 with file, line and field', async () => {
    const before = await snapshot();
    const res = await put('shop', SHOP.replace('after: [dev]', 'after: [qa]'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ file: 'api:shop', line: expect.any(Number) as number });
    expect((res.json() as { message: string }).message).toContain("'qa'");
    expect(await snapshot()).toStrictEqual(before);
  });

  it('metadata.name must match the URL', async () => {
    const before = await snapshot();
    await expectRefused(await put('blog', SHOP), 400, 'INVALID_INPUT', 'metadata.name');
    await expectRefused(await put('shop', ''), 400, 'SPEC_FIELD');
    expect(await snapshot()).toStrictEqual(before);
  });

  it('a valid pipeline becomes current; runs queued after it record its version', async () => {
    const changed = SHOP.replace('name: shop', 'name: blog');
    const res = await put('blog', changed, 'text/plain');
    expect(res.statusCode).toBe(200);
    const { version } = res.json() as { version: string; warnings: string[] };
    expect((await h.call('GET', '/api/v1/projects/blog')).json()).toMatchObject({ name: 'blog', version, stages: [{ name: 'dev' }, { name: 'hardening' }, { name: 'production' }] });
    const { runId } = (await h.call('POST', '/api/v1/projects/blog/releases', { body: { artifacts: { frontend: 'f:1' } } })).json() as { runId: string };
    expect((await h.call('GET', `/api/v1/runs/${runId}`)).json()).toMatchObject({ pipelineVersion: version });
  });
});

