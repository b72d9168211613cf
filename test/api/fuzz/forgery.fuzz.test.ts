/**
 * Forgeries, generated: tokens that are not tokens (random, one character off, cut short,
 * hashed, in another scheme), claims that are not the caller's (random executor names and
 * lease tokens, the holder's name with a lease token one character off, tasks Slipway runs
 * itself, unclaimed and ended tasks) over REST and CloudEvents, CloudEvents with random
 * attributes in both modes, and push signatures that were not made with the secret.
 * Every one is refused in the registry's shape and changes nothing.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../../src/api/index.js';
import { OUTSIDE, SHOP, eventually, startHarness, type Harness } from '../harness.js';
import { TIMEOUT, expectSafe, jsonBody, junk, params, runs, settle } from './support.js';

let h: Harness;
let state: string;
const OTHER = OUTSIDE.replace('name: ext', 'name: ext2');
const ids = { approval: '', claimed: '', unclaimed: '', ended: '', shopRun: '', extRun: '', ext2Run: '' };
let leaseToken = '';

beforeAll(async () => {
  h = await startHarness({ projects: [SHOP, OUTSIDE, OTHER] });
  ids.shopRun = ((await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1', backend: 'b:1' } } })).json() as { runId: string }).runId;
  ids.extRun = ((await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'a:1' } } })).json() as { runId: string }).runId;
  const approval = await eventually(async () => ((await h.call('GET', '/api/v1/approvals')).json() as { approvals: { taskId: string }[] }).approvals[0]);
  ids.approval = approval.taskId;
  const claimed = (await h.call('POST', '/api/v1/tasks/claim', { token: h.tokens.execute, body: { kinds: ['pytest'], executor: 'owner', waitMs: 5000, leaseMs: 86_400_000 } })).json() as {
    task: { id: string };
    leaseToken: string;
  };
  ids.claimed = claimed.task.id;
  leaseToken = claimed.leaseToken;
  ids.ext2Run = ((await h.call('POST', '/api/v1/projects/ext2/releases', { body: { artifacts: { api: 'a:1' } } })).json() as { runId: string }).runId;
  ids.unclaimed = `${ids.ext2Run}.test.1`;
  const done = (await h.slipway.store.getRun(ids.shopRun))!.tasks.find((t) => t.state === 'finished')!;
  ids.ended = `${ids.shopRun}.${done.name}.${done.attempt}`;
  state = await settle(h);
}, 60_000);
afterAll(() => h.close());

/** A string one edit away from `s`: a character changed, dropped or added, or its case flipped. */
const nearMiss = (s: string) =>
  fc.oneof(
    fc.nat(s.length - 1).chain((i) => fc.constantFrom('a', 'Z', '0', '_', '-').filter((c) => c !== s[i]).map((c) => s.slice(0, i) + c + s.slice(i + 1))),
    fc.nat(s.length - 1).map((i) => s.slice(0, i) + s.slice(i + 1)),
    fc.constantFrom('a', '0', '~').map((c) => s + c),
    fc.constant(s.toUpperCase()).filter((u) => u !== s),
  );

describe('forged tokens', () => {
  it(
    'a request with a token the server never issued is 401 and changes nothing, whatever it asks',
    async () => {
      const asks: { method: string; url: string; body?: unknown; type?: string }[] = [
        { method: 'POST', url: '/api/v1/projects/shop/releases', body: { artifacts: { frontend: 'f:forged' } } },
        { method: 'POST', url: `/api/v1/tasks/${ids.approval}/approve`, body: {} },
        { method: 'POST', url: `/api/v1/runs/${ids.extRun}/abort`, body: {} },
        { method: 'POST', url: `/api/v1/tasks/${ids.claimed}/finish`, body: { result: 'pass', executor: 'owner', leaseToken } },
        { method: 'POST', url: '/api/v1/tokens', body: { name: 'sneaky', scopes: ['admin'] } },
        { method: 'PUT', url: '/api/v1/projects/shop', body: SHOP, type: 'text/yaml' },
        { method: 'PUT', url: '/api/v1/secrets/FORGED', body: 'value', type: 'text/plain' },
        { method: 'POST', url: '/api/v1/subscriptions', body: { kind: 'pytest', url: 'http://127.0.0.1:9/x' } },
        { method: 'GET', url: '/api/v1/secrets' },
        { method: 'GET', url: '/api/v1/tokens' },
      ];
      const real = Object.values(h.tokens);
      const forged = fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer slw_${s}`),
        fc.constantFrom(...real).chain(nearMiss).map((t) => `Bearer ${t}`),
        fc.constantFrom(...real).map((t) => `Bearer ${createHash('sha256').update(t).digest('hex')}`),
        fc.constantFrom(...real).map((t) => `Basic ${Buffer.from(`admin:${t}`).toString('base64')}`),
        fc.constantFrom(...real).map((t) => `Token ${t}`),
        fc.constantFrom(...real).map((t) => `Bearer${t}`),
        fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...asks), forged, async (ask, authorization) => {
          const headers: Record<string, string> = { authorization, ...(ask.body !== undefined ? { 'content-type': ask.type ?? 'application/json' } : {}) };
          const payload = ask.body === undefined ? undefined : typeof ask.body === 'string' ? ask.body : JSON.stringify(ask.body);
          const out = await expectSafe(h, ask.method, () => h.app.inject({ method: ask.method as 'GET', url: ask.url, headers, ...(payload !== undefined ? { payload } : {}) }), state, `${ask.method} ${ask.url} with ${JSON.stringify(authorization)}`);
          if (out.res.statusCode !== 401) throw new Error(`${ask.method} ${ask.url} with ${JSON.stringify(authorization)} answered ${out.res.statusCode}`);
        }),
        params(runs(0.3)),
      );
    },
    TIMEOUT,
  );
});

describe('forged claims', () => {
  it(
    'starting, heartbeating or finishing a task without its claim is refused and changes nothing, over REST and CloudEvents',
    async () => {
      const target = fc.oneof(
        fc.constantFrom(ids.claimed, ids.unclaimed, ids.approval, ids.ended),
        junk.map((s) => `${ids.extRun}.${s}.1`),
        junk,
      );
      const executor = fc.option(fc.oneof(fc.constant('owner'), junk), { nil: undefined });
      const proof = fc.option(fc.oneof(nearMiss(leaseToken), fc.stringMatching(/^[A-Za-z0-9_-]{10,60}$/), junk), { nil: undefined });
      const token = fc.constantFrom<'execute' | 'admin'>('execute', 'admin');
      const how = fc.constantFrom('heartbeat', 'finish', 'ce-started', 'ce-finished', 'ce-binary');
      await fc.assert(
        fc.asyncProperty(target, executor, proof, token, how, fc.constantFrom('pass', 'fail', 'warning'), async (taskId, name, lease, who, kind, result) => {
          const task = /\.([^.]+)\.\d+$/.exec(taskId)?.[1] ?? 'test';
          const auth = { authorization: `Bearer ${h.tokens[who]}` };
          let send;
          if (kind === 'heartbeat' || kind === 'finish') {
            const body = JSON.stringify({ ...(kind === 'finish' ? { result } : { leaseMs: 86_400_000 }), ...(name !== undefined ? { executor: name } : {}), ...(lease !== undefined ? { leaseToken: lease } : {}) });
            send = () => h.app.inject({ method: 'POST', url: `/api/v1/tasks/${encodeURIComponent(taskId.replace(/[\uD800-\uDFFF]/g, '?'))}/${kind}`, headers: { ...auth, 'content-type': 'application/json' }, payload: body });
          } else if (kind === 'ce-binary') {
            const headers: Record<string, string> = {
              ...auth,
              'content-type': 'application/json',
              'ce-specversion': '1.0',
              'ce-id': `forged-${Math.random()}`,
              'ce-source': 'urn:forger',
              'ce-type': `sh.slipway.task.${task}.finished`,
              'ce-taskid': taskId.replace(/[^\x20-\x7e]/g, ''),
              ...(name !== undefined ? { 'ce-executor': name.replace(/[^\x20-\x7e]/g, '') } : {}),
              ...(lease !== undefined ? { 'ce-leasetoken': lease.replace(/[^\x20-\x7e]/g, '') } : {}),
            };
            send = () => h.app.inject({ method: 'POST', url: '/api/v1/events', headers, payload: JSON.stringify({ result }) });
          } else {
            const phase = kind === 'ce-started' ? 'started' : 'finished';
            const event = {
              specversion: '1.0',
              id: `forged-${Math.random()}`,
              source: 'urn:forger',
              type: `sh.slipway.task.${task}.${phase}`,
              taskid: taskId,
              ...(name !== undefined ? { executor: name } : {}),
              ...(lease !== undefined ? { leasetoken: lease } : {}),
              ...(phase === 'finished' ? { data: { result } } : {}),
            };
            send = () => h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, payload: JSON.stringify(event) });
          }
          const what = `${kind} ${taskId} as ${who} executor ${JSON.stringify(name)} lease ${JSON.stringify(lease)}`;
          const out = await expectSafe(h, 'POST', send, state, what);
          if (out.res.statusCode < 400) throw new Error(`${what}: accepted with ${out.res.statusCode} ${out.res.body.slice(0, 200)}`);
        }),
        params(runs(0.5)),
      );
      // The rightful holder still can.
      const ok = await h.call('POST', `/api/v1/tasks/${ids.claimed}/heartbeat`, { token: h.tokens.execute, body: { executor: 'owner', leaseToken, leaseMs: 86_400_000 } });
      expect(ok.statusCode, ok.body).toBe(200);
      state = await settle(h);
    },
    TIMEOUT,
  );

  it(
    'CloudEvents with random attributes, structured or binary, never crash, never 5xx, and change nothing',
    async () => {
      const anyTask = fc.oneof(fc.constantFrom(ids.claimed, ids.unclaimed, ids.approval, ids.ended), junk);
      const attr = fc.oneof({ weight: 3, arbitrary: junk }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 30, max: 1000 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown) });
      const event = fc.record(
        {
          specversion: fc.oneof({ weight: 4, arbitrary: fc.constant('1.0') }, { weight: 1, arbitrary: attr }),
          id: fc.oneof(fc.uuid(), attr),
          source: fc.oneof(fc.constantFrom('urn:ci', '/projects/ext', '/projects/shop/stages/production', '/projects/ext2/stages/dev'), attr),
          type: fc.oneof(fc.constantFrom('sh.slipway.task.test.started', 'sh.slipway.task.test.finished', 'sh.slipway.task.approval.finished', 'sh.slipway.task.deploy.started'), attr),
          taskid: fc.oneof(anyTask, attr),
          subject: fc.oneof(anyTask, attr),
          project: fc.oneof(fc.constantFrom('shop', 'ext', 'ext2'), attr),
          stage: fc.oneof(fc.constantFrom('dev', 'production'), attr),
          runid: fc.oneof(fc.constantFrom(ids.shopRun, ids.extRun, ids.ext2Run), attr),
          executor: fc.oneof(fc.constant('owner'), attr),
          leasetoken: fc.oneof(nearMiss(leaseToken), attr),
          time: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), attr),
          datacontenttype: fc.oneof(fc.constantFrom('application/json', 'text/plain'), attr),
          data: fc.oneof(fc.record({ result: fc.constantFrom('pass', 'fail', 'x'), output: fc.jsonValue({ maxDepth: 3 }), message: junk }, { requiredKeys: [] }), attr),
          data_base64: attr,
        },
        { requiredKeys: [] },
      );
      const extra = fc.dictionary(fc.stringMatching(/^[a-z0-9]{1,20}$/), attr, { maxKeys: 4 });
      const structured = fc.tuple(event, extra, fc.constantFrom('application/cloudevents+json', 'application/json')).map(([e, x, type]) => ({ type, body: JSON.stringify({ ...x, ...e }), headers: {} as Record<string, string> }));
      // Deeper than a generator can build without exhausting the stack: written as text.
      const deep = fc
        .tuple(fc.constantFrom('specversion', 'id', 'source', 'type', 'taskid', 'data', 'executor'), fc.integer({ min: 1000, max: 20_000 }), fc.constantFrom('[', '{"a":'))
        .map(([attr, d, open]) => {
          const nested = open.repeat(d) + (open === '[' ? ']' : '1}').repeat(d);
          const rest = { specversion: '1.0', id: 'deep', source: 'urn:ci', type: 'sh.slipway.task.test.finished', taskid: ids.claimed, data: { result: 'pass' } };
          return { type: 'application/cloudevents+json', body: JSON.stringify(rest).replace(`"${attr}":`, `"${attr}":${nested},"was-${attr}":`), headers: {} as Record<string, string> };
        });
      const headerValue = fc.oneof(junk, fc.constantFrom('1.0', ids.claimed, ids.unclaimed, 'owner', 'sh.slipway.task.test.finished')).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim()).filter((s) => s !== '');
      const binary = fc
        .tuple(fc.dictionary(fc.constantFrom('ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-taskid', 'ce-subject', 'ce-project', 'ce-executor', 'ce-leasetoken', 'ce-time', 'ce-x'), headerValue, { maxKeys: 9 }), jsonBody)
        .map(([headers, body]) => ({ type: 'application/json', body, headers }));
      await fc.assert(
        fc.asyncProperty(fc.oneof(structured, binary, deep), fc.constantFrom<'execute' | 'admin'>('execute', 'admin'), async (req, who) => {
          const what = `CloudEvent ${JSON.stringify(req.headers).slice(0, 200)} ${req.body.slice(0, 200)}`;
          const out = await expectSafe(
            h,
            'POST',
            () => h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { authorization: `Bearer ${h.tokens[who]}`, 'content-type': req.type, ...req.headers }, payload: req.body }),
            state,
            what,
          );
          if (out.res.statusCode < 400 && (JSON.parse(out.res.body) as { applied?: boolean }).applied !== false) throw new Error(`${what}: applied`);
        }),
        params(runs(0.5)),
      );
    },
    TIMEOUT,
  );
});

describe('forged push signatures', () => {
  it('verifySignature accepts only a signature made with the secret over that timestamp and body, within the window', () => {
    const now = 1_800_000_000_000;
    const secret = fc.string({ minLength: 16, maxLength: 64 });
    const forgery = fc.record({ secret, other: secret, body: fc.string({ unit: 'binary', maxLength: 300 }), skew: fc.integer({ min: -300_000, max: 300_000 }), junkHeader: fc.string({ maxLength: 100 }), tweak: fc.nat(70), mode: fc.nat(7) });
    fc.assert(
      fc.property(forgery, ({ secret: key, other, body, skew, junkHeader, tweak, mode }) => {
        const ts = String(now + skew);
        const good = sign(key, ts, body);
        expect(verifySignature(key, ts, body, good, now)).toBe(true);
        const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
        const forged: [string, string | undefined, string, string | undefined][] = [
          [key, ts, body, sign(other, ts, body)],
          [key, ts, `${body} `, good],
          [key, String(Number(ts) + 1), body, good],
          [key, String(now + 300_001 + Math.abs(skew)), body, sign(key, String(now + 300_001 + Math.abs(skew)), body)],
          [key, ts, body, flip(good, 3 + (tweak % (good.length - 3)))],
          [key, ts, body, good.toUpperCase()],
          [key, ts, body, junkHeader],
          [key, undefined, body, good],
        ];
        const [k, t, b, sig] = forged[mode]!;
        if (mode === 0 && other === key) return;
        expect(verifySignature(k, t, b, sig, now)).toBe(false);
      }),
      params(runs(2)),
    );
  });
});
