/**
 * A two-service release from dev to production through the API alone: trigger, follow
 * the automatic promotions, approve production, read the matrix, the runs and the log;
 * then pause, resume, abort and retry a run, and promote by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineIdle, eventually, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

interface Approval {
  taskId: string;
  stage: string;
  runId: string;
  releaseId: string;
}

const approvals = async (): Promise<Approval[]> => ((await h.call('GET', '/api/v1/approvals?project=shop')).json() as { approvals: Approval[] }).approvals;
const runOf = async (id: string) => (await h.call('GET', `/api/v1/runs/${id}`)).json() as { state: string; result: string | null; stage: string; tasks: { name: string; state: string; result: string | null; by: string | null; message: string | null }[] };

describe('a release through the API', () => {
  it('goes from dev to production with both services, approved by a production approver', async () => {
    const made = await h.call('POST', '/api/v1/projects/shop/releases', {
      token: h.tokens.trigger,
      body: { artifacts: { frontend: 'registry/frontend:1.4.2', backend: 'registry/backend:2.0.1' }, commit: 'a1b2c3d', commitTime: '2025-01-01T00:00:00Z', author: 'ada' },
    });
    expect(made.statusCode).toBe(201);
    const { releaseId, created } = made.json() as { releaseId: string; runId: string; created: boolean };
    expect(created).toBe(true);

    const approval = await eventually(async () => (await approvals()).find((a) => a.releaseId === releaseId && a.stage === 'production'));
    // The same artifacts (in any order) are the same release; it already waits in production.
    const again = await h.call('POST', '/api/v1/projects/shop/releases', {
      token: h.tokens.trigger,
      body: { artifacts: { backend: 'registry/backend:2.0.1', frontend: 'registry/frontend:1.4.2' }, stage: 'production' },
    });
    expect(again.json()).toStrictEqual({ releaseId, runId: approval.runId, created: false });
    expect((await h.call('POST', `/api/v1/tasks/${approval.taskId}/approve`, { token: h.tokens.trigger, body: {} })).statusCode).toBe(403);
    const ok = await h.call('POST', `/api/v1/tasks/${approval.taskId}/approve`, { token: h.tokens['approve:production'], body: { comment: 'ship it' } });
    expect(ok.json()).toStrictEqual({ taskId: approval.taskId, runId: approval.runId, approval: { counts: true, why: null, outcome: 'approved', progress: '1 of 1 approval (t-approve_production)' } });

    const prod = await eventually(async () => {
      const r = await runOf(approval.runId);
      return r.state === 'succeeded' ? r : undefined;
    });
    expect(prod.tasks.find((t) => t.name === 'approval')).toMatchObject({ result: 'pass', by: 'token:t-approve_production' });
    expect(prod.tasks.find((t) => t.name === 'approval')?.message).toContain('ship it');

    const release = (await h.call('GET', `/api/v1/projects/shop/releases/${releaseId}`, { token: h.tokens.read })).json() as { provenance: object; stages: { stage: string; result: string }[] };
    expect(release.provenance).toMatchObject({ commit: 'a1b2c3d', commitTime: Date.UTC(2025, 0, 1), author: 'ada', source: 'api' });
    expect(release.stages.map((s) => [s.stage, s.result])).toStrictEqual([['dev', 'pass'], ['hardening', 'pass'], ['production', 'pass']]);

    const status = (await h.call('GET', '/api/v1/projects/shop/status', { token: h.tokens.read })).json() as { stages: { name: string; services: { service: string; artifact: string; release: string; state: string; lastGoodRelease: string }[] }[] };
    expect(status.stages.map((s) => s.name)).toStrictEqual(['dev', 'hardening', 'production']);
    for (const stage of status.stages) {
      expect(stage.services).toMatchObject([
        { service: 'frontend', artifact: 'registry/frontend:1.4.2', release: releaseId, state: 'succeeded', lastGoodRelease: releaseId },
        { service: 'backend', artifact: 'registry/backend:2.0.1', release: releaseId, state: 'succeeded', lastGoodRelease: releaseId },
      ]);
    }

    const runs = (await h.call('GET', `/api/v1/runs?release=${releaseId}`)).json() as { runs: { stage: string; state: string }[]; nextCursor: string | null };
    expect(runs.runs.map((r) => r.stage)).toStrictEqual(['production', 'hardening', 'dev']);
    expect(runs.nextCursor).toBeNull();

    const log = (await h.call('GET', `/api/v1/events?run=${approval.runId}&type=sh.slipway.run.finished`)).json() as { events: { seq: number; event: { data: { state: string } } }[]; next: number };
    expect(log.events).toHaveLength(1);
    expect(log.next).toBe(log.events[0]!.seq);
  });

  it('shows every declared service in the matrix, with nulls where nothing ran', async () => {
    const status = (await h.call('GET', '/api/v1/projects/shop/status')).json() as { stages: { services: object[] }[] };
    expect(status.stages[0]!.services).toStrictEqual([
      { service: 'frontend', artifact: null, release: null, state: null, since: null, lastGoodRelease: null, lastGoodArtifact: null, endpoint: null },
      { service: 'backend', artifact: null, release: null, state: null, since: null, lastGoodRelease: null, lastGoodArtifact: null, endpoint: null },
    ]);
  });
});

describe('runs', () => {
  it('pages newest first with a cursor, and filters by state', async () => {
    for (let i = 0; i < 5; i++) await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: `f:${i}` } } });
    // dev and hardening pass; production takes one release at a time, the rest queue behind it.
    await eventually(async () => (await h.slipway.store.listRuns({ project: 'shop', stage: 'production' })).length === 5 || undefined);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await h.call('GET', `/api/v1/runs?project=shop&limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json() as { runs: { id: string }[]; nextCursor: string | null };
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = (await h.call('GET', '/api/v1/runs?project=shop&limit=500')).json() as { runs: { id: string }[] };
    expect(seen).toStrictEqual(all.runs.map((r) => r.id));
    expect(seen).toHaveLength(15);
    const open = (await h.call('GET', '/api/v1/runs?state=waiting&state=queued')).json() as { runs: { state: string }[] };
    expect(open.runs.map((r) => r.state).sort()).toStrictEqual(['queued', 'queued', 'queued', 'queued', 'waiting']);
    const one = (await h.call('GET', '/api/v1/runs?state=waiting')).json() as { runs: { state: string }[] };
    expect(one.runs).toHaveLength(1);
    // By service: the five frontend releases, 3 stages each, and nothing for a service never released.
    const frontend = (await h.call('GET', '/api/v1/runs?project=shop&service=frontend&limit=500')).json() as { runs: { id: string; services: string[] }[] };
    expect(frontend.runs.map((r) => r.id)).toStrictEqual(all.runs.filter((r) => frontend.runs.some((f) => f.id === r.id)).map((r) => r.id));
    expect(frontend.runs.length).toBeGreaterThanOrEqual(15);
    expect(frontend.runs.every((r) => r.services.includes('frontend'))).toBe(true);
    const none = (await h.call('GET', '/api/v1/runs?project=shop&service=no-such-service')).json() as { runs: unknown[] };
    expect(none.runs).toStrictEqual([]);
  });

  it('reads the newest events of the log (last) and those recorded since a time, in log order', async () => {
    await h.call('POST', '/api/v1/projects/shop/releases', { token: h.tokens.trigger, body: { artifacts: { frontend: 'registry/frontend:1.4.2' } } });
    await eventually(async () => (await approvals()).length > 0 || undefined);
    type Page = { events: { seq: number; event: { time: string } }[] };
    // The run settles into its wait in more than one commit (on PostgreSQL the last lands later):
    // read once the log has stopped growing, so the reads below see the same log.
    const read = async () => ((await h.call('GET', '/api/v1/events?limit=1000')).json() as Page).events;
    await engineIdle(h);
    let all = await read();
    for (let before = -1; all.length !== before; ) {
      before = all.length;
      await new Promise((r) => setTimeout(r, 300));
      await engineIdle(h);
      all = await read();
    }
    expect(all.length).toBeGreaterThan(4);
    const last = ((await h.call('GET', '/api/v1/events?last=true&limit=3')).json() as Page).events;
    expect(last.map((e) => e.seq)).toStrictEqual(all.slice(-3).map((e) => e.seq));
    const cutoff = Date.parse(all.at(-2)!.event.time);
    const since = ((await h.call('GET', `/api/v1/events?since=${cutoff}`)).json() as Page).events;
    expect(since.map((e) => e.seq)).toStrictEqual(all.filter((e) => Date.parse(e.event.time) >= cutoff).map((e) => e.seq));
    expect((await h.call('GET', '/api/v1/events?last=maybe')).statusCode).toBe(400);
  });

  it('pause, resume, abort and retry a run; a second abort is a 409', async () => {
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1' } } });
    const { runId, releaseId } = await eventually(async () => (await approvals())[0]);
    const control = (action: string) => h.call('POST', `/api/v1/runs/${runId}/${action}`, { token: h.tokens.trigger, body: { reason: `${action} test` } });
    expect((await control('pause')).json()).toStrictEqual({ runId, state: 'paused' });
    expect((await control('resume')).json()).toMatchObject({ runId, state: 'waiting' });
    expect((await control('abort')).json()).toStrictEqual({ runId, state: 'aborted' });
    const twice = await control('abort');
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'INVALID_STATE', field: 'runId' });
    // A retry queues the same run again from its failed step, as the next attempt of its tasks.
    const retried = (await h.call('POST', `/api/v1/runs/${runId}/retry`, { token: h.tokens.trigger })).json() as { runId: string; state: string };
    expect(retried.runId).toBe(runId);
    const again = await eventually(async () => (await approvals()).find((a) => a.runId === runId && a.releaseId === releaseId));
    expect(again.taskId).toBe(`${runId}.approval.2`);
  });

  it('a manual promotion queues the release into a stage it may enter', async () => {
    const { releaseId } = (await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { backend: 'b:7' } } })).json() as { releaseId: string };
    await eventually(async () => (await approvals()).find((a) => a.releaseId === releaseId));
    const res = await h.call('POST', `/api/v1/projects/shop/releases/${releaseId}/promote`, { token: h.tokens.trigger, body: { stage: 'hardening' } });
    expect(res.statusCode).toBe(201);
    const { runId } = res.json() as { runId: string };
    expect((await runOf(runId)).stage).toBe('hardening');
  });

  it('a soak can be skipped with a signal; approve goes through its own route', async () => {
    const p = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: soak}
spec:
  services: [api]
  stages:
    - name: dev
      tasks:
        - {name: soak, kind: wait, properties: {duration: 1h}}
`;
    expect((await h.call('PUT', '/api/v1/projects/soak', { body: p, headers: { 'content-type': 'application/yaml' } })).statusCode).toBe(200);
    const { runId } = (await h.call('POST', '/api/v1/projects/soak/releases', { body: { artifacts: { api: 'a:1' } } })).json() as { runId: string };
    const taskId = `${runId}.soak.1`;
    await eventually(async () => (await runOf(runId)).tasks[0]?.state === 'waiting' || undefined);
    const refused = await h.call('POST', `/api/v1/tasks/${taskId}/signal`, { token: h.tokens.trigger, body: { signal: 'approve' } });
    expect(refused.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'signal' });
    const stopped = await h.call('POST', `/api/v1/tasks/${taskId}/signal`, { token: h.tokens.trigger, body: { signal: 'skip' } });
    expect(stopped.json()).toStrictEqual({ taskId, runId });
    await eventually(async () => (await runOf(runId)).state === 'succeeded' || undefined);
  });

  it('metrics count finished runs and tasks and expose the outside backlog', async () => {
    await h.call('POST', '/api/v1/projects/ext/releases', { body: { artifacts: { api: 'a:1' } } });
    await h.call('POST', '/api/v1/projects/shop/releases', { body: { artifacts: { frontend: 'f:1' } } });
    await eventually(async () => (await approvals()).length === 1 || undefined);
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('slipway_runs_total{project="shop",stage="dev",state="succeeded"} 1');
    expect(text).toContain('slipway_tasks_total{kind="noop",result="pass"}');
    expect(text).toContain('slipway_outside_backlog{kind="pytest"} 1');
    expect(text).toMatch(/slipway_engine_commit_seconds_count \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
