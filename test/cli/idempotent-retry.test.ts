/**
 * A change whose answer is lost is sent again by the CLI's client and applied once: a proxy on
 * 127.0.0.1 passes the first POST to a real API server (real store) and, once the server has
 * answered, cuts the client's connection instead of passing the answer on. The client sends
 * the POST again with the same Idempotency-Key, and the server answers it from the first answer.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/cli/client.js';
import { startHarness, type Harness } from '../api/harness.js';

let h: Harness | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  if (proxy) await new Promise((r) => proxy!.close(r));
  await h?.close();
  proxy = h = undefined;
});

interface Passed {
  method: string;
  key: string | undefined;
  status: number;
  replayed: string | undefined;
}

/** Forwards every request to `target`; the first `drop` answers reach the server's side only. */
function lossyProxy(target: string, drop: number, passed: Passed[]): Server {
  const to = new URL(target);
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          const headers: IncomingHttpHeaders = answer.headers;
          passed.push({ method: req.method ?? '?', key: req.headers['idempotency-key'] as string | undefined, status: answer.statusCode ?? 0, replayed: headers['idempotent-replayed'] as string | undefined });
          if (passed.length <= drop) return req.socket.destroy();
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(Buffer.concat(body));
        });
      });
      up.end(Buffer.concat(chunks));
    });
  });
}

/** A real API server behind a proxy that drops its first answer, and a CLI client with a token of `scope` going through it. */
async function behindLossyProxy(scope: 'trigger' | 'admin'): Promise<{ client: Client; passed: Passed[]; server: Harness }> {
  const server = (h = await startHarness());
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const passed: Passed[] = [];
  proxy = lossyProxy(`http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`, 1, passed);
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { client: new Client({ server: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: server.tokens[scope] }), passed, server };
}

describe('the CLI client after a lost answer', () => {
  it('sends a trigger again with the same key, and the release is created and run once', async () => {
    const { client, passed, server } = await behindLossyProxy('trigger');

    const answer = await client.request<{ releaseId: string; runId: string; created: boolean }>('POST', '/api/v1/projects/shop/releases', {
      body: { artifacts: { frontend: 'registry/frontend:9', backend: 'registry/backend:9' } },
    });
    expect(answer.created).toBe(true);
    expect(passed.map((p) => [p.method, p.status, p.replayed])).toStrictEqual([
      ['POST', 201, undefined],
      ['POST', 201, 'true'],
    ]);
    expect(passed[0]!.key).toBeDefined();
    expect(passed[1]!.key).toBe(passed[0]!.key);
    const runs = await server.slipway.store.listRuns({ releaseId: answer.releaseId });
    expect(runs.filter((r) => r.stage === 'dev').map((r) => r.id)).toStrictEqual([answer.runId]);
  });

  it('sends a subscription again with the same key: it is made once, and the error says which one was made and how to replace it', async () => {
    const { client, passed, server } = await behindLossyProxy('admin');
    const failed = await client.request('POST', '/api/v1/subscriptions', { body: { kind: 'custom-deploy', url: 'https://hooks.example.com/slipway' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const subs = await server.slipway.store.listSubscriptions();
    // Before keys were taken here, the retry made a second subscription (two secrets, every task pushed twice).
    expect(subs).toHaveLength(1);
    expect(failed).toMatchObject({ code: 'IDEMPOTENT_ANSWER_WITHHELD', fields: { status: 409 } });
    expect((failed as Error).message).toMatch(new RegExp(`it made subscription ${subs[0]!.id} .*slipway subscription delete ${subs[0]!.id}`));
    expect(passed.map((p) => [p.status, p.replayed])).toStrictEqual([
      [201, undefined],
      [409, 'true'],
    ]);
  });
});
