/**
 * GET /api/v1/dashboard/matrix: the environments page's one request. A release waiting
 * for its production approval shows there with the `waiting` mark; a release queued
 * behind it is counted; a rollback marks the cell; `stage` narrows the rows; the routes
 * for the dashboard's own files leave the API's 404s alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './harness.js';

interface Cell {
  release: string | null;
  artifact: string | null;
  state: string | null;
  queued: number;
  waiting: boolean;
  rolledBack: boolean;
  activeRunId: string | null;
  lastGoodRelease: string | null;
}
type Wire = null | [number, number, number, number, { queued?: number; waiting?: true; active?: string }?];
interface Matrix {
  projects: {
    name: string;
    services: string[];
    stages: { name: string; after: string[] }[];
    strings: string[];
    runs: { id: string; release: number; state: string; since: number; rolledBack: boolean }[];
    cells: Wire[][];
  }[];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const matrix = async (query = '', token: string | null = h.tokens.read): Promise<Matrix> => {
  const res = await h.call('GET', `/api/v1/dashboard/matrix${query}`, { token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Matrix;
};
/** One cell, its indexes resolved: what the dashboard does with the compact answer. */
const cell = (m: Matrix, project: string, stage: string, service: string): Cell => {
  const p = m.projects.find((x) => x.name === project)!;
  const c = p.cells[p.stages.findIndex((s) => s.name === stage)]![p.services.indexOf(service)]!;
  const str = (i: number | undefined) => (i === undefined || i < 0 ? null : p.strings[i]!);
  const run = c && c[0] >= 0 ? p.runs[c[0]]! : undefined;
  const marks = c?.[4] ?? {};
  return {
    release: run ? str(run.release) : null,
    artifact: str(c?.[1]),
    state: run?.state ?? null,
    lastGoodRelease: str(c?.[2]),
    queued: marks.queued ?? 0,
    waiting: marks.waiting === true,
    rolledBack: run?.rolledBack ?? false,
    activeRunId: marks.active ?? null,
  };
};
const trigger = async (artifacts: Record<string, string>, stage?: string) =>
  (await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts, ...(stage ? { stage } : {}) } })).json() as { releaseId: string; runId: string };

describe('the dashboard matrix', () => {
  it('lists every project with its stages, services and empty cells before anything ran', async () => {
    const m = await matrix();
    expect(m.projects.map((p) => p.name)).toStrictEqual(['ext', 'shop']);
    const shop = m.projects[1]!;
    expect(shop.stages).toStrictEqual([
      { name: 'dev', after: [], promotion: 'auto' },
      { name: 'hardening', after: ['dev'], promotion: 'auto' },
      { name: 'production', after: ['hardening'], promotion: 'auto' },
    ]);
    expect(shop.services).toStrictEqual(['frontend', 'backend']);
    expect(cell(m, 'shop', 'dev', 'frontend')).toMatchObject({ release: null, state: null, queued: 0, waiting: false, rolledBack: false });
    expect(shop.cells.flat()).toStrictEqual(Array(6).fill(null));
  });

  it('marks a release waiting in production, counts one queued behind it, and a rollback', async () => {
    const first = await trigger({ frontend: 'f:1', backend: 'b:1' });
    await eventually(async () => cell(await matrix('?project=shop'), 'shop', 'production', 'frontend').waiting || undefined, 10_000, 'production to wait');
    let m = await matrix('?project=shop');
    expect(cell(m, 'shop', 'dev', 'backend')).toMatchObject({ release: first.releaseId, artifact: 'b:1', state: 'succeeded', lastGoodRelease: first.releaseId });
    expect(cell(m, 'shop', 'production', 'frontend')).toMatchObject({ release: first.releaseId, state: 'waiting', waiting: true, queued: 0 });

    // A second release reaches production and queues behind the waiting one.
    const second = await trigger({ frontend: 'f:2', backend: 'b:2' });
    m = await eventually(async () => {
      const now = await matrix('?project=shop');
      return cell(now, 'shop', 'production', 'backend').queued === 1 ? now : undefined;
    }, 10_000, 'the second release to queue in production');
    expect(cell(m, 'shop', 'dev', 'frontend')).toMatchObject({ release: second.releaseId, artifact: 'f:2' });
    // One run deployed both services: listed once, both cells point at it.
    const shop = m.projects[0]!;
    const dev = shop.cells[0]!;
    expect(dev[0]![0]).toBe(dev[1]![0]);
    expect(shop.runs.filter((r) => shop.strings[r.release] === second.releaseId)).toHaveLength(2);

    // Roll dev back to the first release: the cell shows it came back by a rollback.
    const back = await h.call('POST', '/api/v1/projects/shop/stages/dev/rollback', { token: h.tokens.trigger, body: { to: first.releaseId, reason: 'test' } });
    expect(back.statusCode, back.body).toBe(201);
    m = await eventually(async () => {
      const now = await matrix('?project=shop&stage=dev');
      const c = cell(now, 'shop', 'dev', 'frontend');
      return c.release === first.releaseId && c.state === 'succeeded' ? now : undefined;
    }, 10_000, 'dev to be rolled back');
    expect(m.projects[0]!.stages.map((s) => s.name)).toStrictEqual(['dev']);
    expect(m.projects[0]!.cells).toHaveLength(1);
    expect(cell(m, 'shop', 'dev', 'frontend')).toMatchObject({ artifact: 'f:1', rolledBack: true });
  });

  it('narrows to several stages, refuses an unknown project, and needs read', async () => {
    const m = await matrix('?project=shop&stage=production&stage=dev');
    expect(m.projects[0]!.stages.map((s) => s.name)).toStrictEqual(['dev', 'production']);
    const unknown = await h.call('GET', '/api/v1/dashboard/matrix?project=nope', { token: h.tokens.read });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_PROJECT', field: 'project' });
    expect((await h.call('GET', '/api/v1/dashboard/matrix', { token: null })).statusCode).toBe(401);
  });

  it('answers unknown paths under /api and elsewhere with the API 404, and client routes with the page', async () => {
    for (const path of ['/api/v1/nope', '/nope', '/assets/../../etc/passwd', '/projects']) {
      const res = await h.call('GET', path, { token: null });
      if (path === '/projects') {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/html');
        expect(res.headers['cache-control']).toBe('no-cache');
        continue;
      }
      expect(res.statusCode, path).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});
