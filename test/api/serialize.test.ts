/**
 * viewSerializer (src/api/serialize.ts): routes that answer large views with JSON.stringify
 * alone, and the strict mode the test suite runs them in, which fails an answer its response
 * schema would change. Over real HTTP on 127.0.0.1.
 */
import fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { installErrorHandling } from '../../src/api/errors.js';
import { firstDifference, viewSerializer } from '../../src/api/serialize.js';
import type { Api } from '../../src/api/types.js';

const View = z.object({ project: z.string(), stages: z.array(z.object({ name: z.string(), count: z.number(), note: z.string().optional() })) });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A server with one route answering `answer` through viewSerializer, built with SLIPWAY_STRICT_RESPONSES as given. */
async function serve(answer: unknown, strict: boolean): Promise<string> {
  const before = process.env['SLIPWAY_STRICT_RESPONSES'];
  process.env['SLIPWAY_STRICT_RESPONSES'] = strict ? '1' : '';
  try {
    const app = fastify().withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    installErrorHandling(app as unknown as Api);
    app.get('/view', { serializerCompiler: viewSerializer, schema: { response: { 200: View } } }, async () => answer as z.infer<typeof View>);
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    const addr = app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    return `http://127.0.0.1:${addr.port}/view`;
  } finally {
    if (before === undefined) delete process.env['SLIPWAY_STRICT_RESPONSES'];
    else process.env['SLIPWAY_STRICT_RESPONSES'] = before;
  }
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

const good = { project: 'shop', stages: [{ name: 'dev', count: 2 }, { count: 3, name: 'prod', note: 'frozen' }] };

describe('viewSerializer', () => {
  it('answers JSON.stringify of the view, byte for byte, strict or not', async () => {
    for (const strict of [false, true]) {
      const res = await get(await serve(good, strict));
      expect(res.status).toBe(200);
      // Key order is the handler's (prod lists count first): zod's encoding would have reordered it.
      expect(res.body).toBe(JSON.stringify(good));
    }
  });

  it('strict: a field the schema does not declare fails the answer with its path', async () => {
    const res = await get(await serve({ ...good, stages: [good.stages[0], { ...good.stages[1], secret: 'x' }] }, true));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'INTERNAL' });
    expect(res.body).toContain('$.stages[1].secret is sent but the schema does not declare it');
    expect(res.body).toContain('GET /view');
  });

  it('strict: a value of the wrong type fails the answer', async () => {
    const res = await get(await serve({ project: 'shop', stages: [{ name: 'dev', count: '2' }] }, true));
    expect(res.status).toBe(500);
  });

  it('not strict: no schema check, the view goes out as built', async () => {
    const odd = { project: 'shop', stages: [{ name: 'dev', count: 1, extra: true }] };
    const res = await get(await serve(odd, false));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(odd);
  });
});

describe('firstDifference', () => {
  it('names the first path where the answer and its encoding differ', () => {
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe('$.a[1].b: 2 sent, 3 after encoding');
    expect(firstDifference({ a: [1, 2] }, { a: [1] })).toBe('$.a: 2 items sent, 1 after encoding');
    expect(firstDifference({ a: 1 }, { a: 1, b: null })).toBe('$.b is added by the schema');
  });
});
