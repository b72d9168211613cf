import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, cleanup, router, until } from './harness.js';

afterEach(cleanup);

const MiB = 1024 * 1024;
const chunkOf = (i: number): Buffer => Buffer.alloc(64 * 1024, i % 251);

describe('router: streamed bodies', () => {
  it('passes the first bytes of a download on before the upstream has finished it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = await backend('app', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(chunkOf(0));
      // The rest only comes after the client has seen the first chunk through the router.
      void released.then(() => res.end(chunkOf(1)));
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    const body = await new Promise<number>((resolve, reject) => {
      request(url, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          release();
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      }).on('error', reject).end();
    });
    expect(body).toBe(128 * 1024);
  });

  it('holds a large download back while the client does not read (backpressure, no buffering), then delivers it whole', async () => {
    const total = 64 * MiB;
    let written = 0;
    const app = await backend('app', (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      const pump = (): void => {
        while (written < total) {
          const c = chunkOf(written / (64 * 1024));
          written += c.length;
          if (!res.write(c)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    const expected = createHash('sha256');
    for (let i = 0; i < total / (64 * 1024); i++) expected.update(chunkOf(i));
    const got = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      request(url, (res) => {
        res.pause();
        res.on('data', (c: Buffer) => {
          got.update(c);
          received += c.length;
        });
        res.on('end', resolve);
        res.on('error', reject);
        // The client stalls: the upstream must stall too, far short of the whole body.
        let last = -1;
        let still = 0;
        const watch = setInterval(() => {
          still = written === last ? still + 1 : 0;
          last = written;
          if (still < 5) return;
          clearInterval(watch);
          stalledAt = written;
          res.resume();
        }, 50);
      }).on('error', reject).end();
    });
    let stalledAt = 0;
    await done;
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(total / 2);
    expect(received).toBe(total);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
  });

  it('streams an upload: the upstream reads the first bytes before the client has sent the rest', async () => {
    let firstSeen!: () => void;
    const seen = new Promise<void>((resolve) => (firstSeen = resolve));
    const app = await backend('app', (req, res) => {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
        firstSeen();
      });
      req.on('end', () => res.end(JSON.stringify({ n, sha: hash.digest('hex') })));
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    const chunks = 32 * MiB / (64 * 1024);
    const sent = createHash('sha256');
    const answer = new Promise<string>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write(chunkOf(0));
      sent.update(chunkOf(0));
      void seen.then(async () => {
        for (let i = 1; i < chunks; i++) {
          sent.update(chunkOf(i));
          if (!req.write(chunkOf(i))) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      });
    });
    const got = JSON.parse(await answer) as { n: number; sha: string };
    expect(got).toEqual({ n: 32 * MiB, sha: sent.digest('hex') });
    await until(() => r.metrics().slots['blue']?.requests === 1, 15_000, 'the upload to be counted');
  });

  it('aborts the upstream request when the client leaves in the middle of a download, and counts it as 499', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const app = await backend('app', (_req, res) => {
      res.writeHead(200);
      res.write(chunkOf(0));
      res.on('close', upstreamClosed);
    });
    const { router: r, url } = await router();
    r.setSlots({ blue: { upstreams: [app], weight: 1 } });
    await new Promise<void>((resolve) => {
      const req = request(url, (res) => res.once('data', () => {
        req.destroy();
        resolve();
      }));
      req.on('error', () => undefined).end();
    });
    await closed;
    await until(() => r.metrics().slots['blue']?.codes['4xx'] === 1, 15_000, 'the abandoned request to be counted');
    expect(r.metrics().slots['blue']?.errors).toBe(0);
  });
});
