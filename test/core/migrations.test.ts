import { describe, expect, it } from 'vitest';
import type { Decision, Pipeline, TimerInput } from '../../src/core/index.js';
import { emptyDirty, evolve } from '../../src/core/index.js';
import { Harness, pipeline } from './harness.js';

const MIN = 60_000;

/** One stage `prod`: expand, then deploy; its alarms are watched for 10 minutes after success. */
function db(autoContract = true): Pipeline {
  const p = pipeline('db', [
    {
      name: 'prod',
      tasks: [
        { name: 'expand', kind: 'migrate', properties: { phase: 'expand', database: 'app.db', contractRecheckMs: MIN, autoContract } },
        { name: 'deploy', kind: 'deploy' },
      ],
    },
  ]);
  const alarm = { name: 'errors', source: { url: 'http://127.0.0.1:9090', api: 'prometheus' as const }, labels: {}, intervalMs: 15_000 };
  return { ...p, stages: p.stages.map((s) => ({ ...s, alarms: [alarm], watch: { forMs: 10 * MIN, intervalMs: 15_000 } })) };
}

/** Finishes every dispatched task; a migrate task reports its migration as the executor does. */
function drain(h: Harness): void {
  for (let i = 0; i < 20; i++) {
    const ids = h.dispatched();
    if (ids.length === 0) return;
    for (const id of ids) {
      const [runId, task] = [id.split('.')[0]!, id.split('.')[1]!];
      const run = h.state.runs.get(runId)!;
      const kind = run.tasks.find((t) => t.name === task)!.kind;
      const phase = task === 'contract' ? 'contract' : 'expand';
      const output = kind === 'migrate' ? { migration: { phase, service: 'api', id: `db/prod/api/${run.releaseId}/${phase}`, applied: true, schemaVersion: 1 } } : undefined;
      h.finish(id, 'pass', output ? { output } : {});
    }
  }
}

function release(h: Harness, version: number): string {
  h.now += MIN;
  const id = h.trigger('db', { api: `api:${version}` }).value!.releaseId!;
  drain(h);
  return id;
}

const timers = (d: Decision): TimerInput[] => d.effects.flatMap((e) => (e.type === 'setTimer' && e.timer.input.purpose === 'schema.contract' ? [e.timer.input] : []));
const contract = (h: Harness, releaseId?: string) => h.decide({ type: 'schema.contract', project: 'db', stage: 'prod', ...(releaseId ? { releaseId } : {}), by: 'alice' });

describe('core: expand/contract database changes', () => {
  it('records the expand and refuses a contract while the watch window is open, then runs it as a separate run', () => {
    const h = new Harness(db(false));
    const r1 = release(h, 1);
    expect(h.types()).toContain('schema.changed');
    const early = contract(h, r1);
    expect(early.error?.code).toBe('INVALID_STATE');
    expect(early.error?.message).toContain("watch window in 'prod' is open until");
    h.now += 11 * MIN;
    const d = contract(h, r1);
    expect(d.error).toBeUndefined();
    const run = h.state.runs.get(d.value!.runId!)!;
    expect(run).toMatchObject({ sequence: 'contract', releaseId: r1, stage: 'prod' });
    expect(run.spec.steps[0]!.tasks[0]).toMatchObject({ kind: 'migrate', properties: { phase: 'contract', service: 'api', database: 'app.db' } });
    drain(h);
    expect(h.state.runs.get(run.id)!.state).toBe('succeeded');
    // What is live is untouched by the contract run.
    expect(h.state.live.get('db\0prod\0api')).toMatchObject({ releaseId: r1, lastGoodReleaseId: r1 });
    expect(contract(h, r1).error?.message).toContain('cannot run in stage \'prod\' again');
  });

  it('allows a rollback between expand and contract (expand is compatible)', () => {
    const h = new Harness(db(false));
    const r1 = release(h, 1);
    h.now += 11 * MIN;
    contract(h, r1);
    drain(h);
    const r2 = release(h, 2);
    const back = h.decide({ type: 'rollback', project: 'db', stage: 'prod', to: r1 });
    expect(back.error).toBeUndefined();
    drain(h);
    expect(h.state.live.get('db\0prod\0api')!.releaseId).toBe(r1);
    // R2's contract may not run now: prod serves R1 again, which needs the old schema.
    h.now += 20 * MIN;
    const c = contract(h, r2);
    expect(c.error?.message).toContain(`'prod' serves release ${r1} of api, older than ${r2}'s expand`);
  });

  it('refuses a rollback past a contract, saying why and what to do', () => {
    const h = new Harness(db(false));
    const r1 = release(h, 1);
    const r2 = release(h, 2);
    h.now += 11 * MIN;
    expect(contract(h, r2).error).toBeUndefined();
    drain(h);
    const back = h.decide({ type: 'rollback', project: 'db', stage: 'prod', to: r1 });
    expect(back.error?.code).toBe('SCHEMA_CONTRACTED');
    expect(back.error?.message).toContain(`rollback of stage 'prod' to release ${r1} refused: the contract of release ${r2}`);
    expect(back.error?.message).toContain('Roll forward with a fix');
    expect(back.events).toEqual([]);
  });

  it('runs the contract by itself once the run passed and the watch window closed (a durable timer)', () => {
    const h = new Harness(db(true));
    h.now += MIN;
    h.trigger('db', { api: 'api:1' });
    const expand = h.dispatched()[0]!;
    const finished = h.finish(expand, 'pass', { output: { migration: { phase: 'expand', service: 'api', id: 'x/expand', applied: true, schemaVersion: 1 } } });
    let timer = timers(finished)[0]!;
    expect(timer).toBeDefined();
    // Due while the deploy still runs: it looks again later.
    h.now += MIN;
    let fired = h.decide(timer);
    expect(fired.ignored).toContain('not yet');
    timer = timers(fired)[0]!;
    drain(h);
    h.now += MIN;
    fired = h.decide(timer);
    expect(fired.ignored).toContain('watch window');
    timer = timers(fired)[0]!;
    h.now += 10 * MIN;
    fired = h.decide(timer);
    expect(fired.error).toBeUndefined();
    expect(h.state.runs.get(fired.value!.runId!)).toMatchObject({ sequence: 'contract', origin: 'automation' });
  });

  it('the ledger is folded back from the log (a restart keeps the refusal)', () => {
    const h = new Harness(db(false));
    const r1 = release(h, 1);
    const r2 = release(h, 2);
    h.now += 11 * MIN;
    contract(h, r2);
    drain(h);
    const fresh = new Harness(db(false));
    for (const ev of h.log) evolve(fresh.state, ev);
    fresh.state.dirty = emptyDirty();
    fresh.now = h.now;
    expect(fresh.decide({ type: 'rollback', project: 'db', stage: 'prod', to: r1 }).error?.code).toBe('SCHEMA_CONTRACTED');
  });
});

describe('core: the automatic contract after a rollback', () => {
  it('gives up when the release stops serving the stage, and is armed again when it comes back', () => {
    const h = new Harness(db(true));
    const r1 = release(h, 1);
    const d = (() => {
      h.now += MIN;
      h.trigger('db', { api: 'api:2' });
      return h.finish(h.dispatched()[0]!, 'pass', { output: { migration: { phase: 'expand', service: 'api', id: 'r2/expand', applied: true } } });
    })();
    const timer = timers(d)[0]!;
    drain(h);
    h.decide({ type: 'rollback', project: 'db', stage: 'prod', to: r1 });
    drain(h);
    h.now += 11 * MIN;
    const fired = h.decide(timer);
    expect(fired.ignored).toContain('no longer serves');
    expect(timers(fired)).toEqual([]);
    // 2.0 again: its expand is found applied, and the contract timer is armed anew.
    h.now += MIN;
    h.trigger('db', { api: 'api:2' });
    const again = h.finish(h.dispatched()[0]!, 'pass', { output: { migration: { phase: 'expand', service: 'api', id: 'r2/expand', applied: false } } });
    expect(timers(again).map((t) => t.timerId)).toEqual([timer.timerId]);
  });
});
