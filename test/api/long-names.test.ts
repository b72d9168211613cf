/**
 * Names at their limits still work through every route: a 63-character project, stage and
 * task name give the longest ids (a task id of 24 + 1 + 63 + 1 + attempt characters), and an
 * approval so named can be given. Names beyond the limits, and kinds nothing serves, are
 * refused when the pipeline is put, naming file, line, column and field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './harness.js';

const LONG_PROJECT = `p${'r'.repeat(61)}1`;
const LONG_STAGE = `s${'t'.repeat(61)}2`;
const LONG_TASK = `a${'p'.repeat(61)}3`;

const pipeline = (project: string, stage: string, task: string, kind = 'approval') => `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${project}}
spec:
  services: [api]
  stages:
    - name: ${stage}
      tasks:
        - {name: ${task}, kind: ${kind}, properties: {pass: manual}}
`;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ projects: [] });
});
afterEach(() => h.close());

const put = (project: string, body: string) => h.call('PUT', `/api/v1/projects/${project}`, { body, headers: { 'content-type': 'application/yaml' } });

describe('names at their limits', () => {
  it('an approval whose project, stage and task names have 63 characters is approved through its task route', async () => {
    expect((await put(LONG_PROJECT, pipeline(LONG_PROJECT, LONG_STAGE, LONG_TASK))).statusCode).toBe(200);
    const made = await h.call('POST', `/api/v1/projects/${LONG_PROJECT}/releases`, { token: h.tokens.trigger, body: { artifacts: { api: 'registry/api:1' } } });
    expect(made.statusCode).toBe(201);
    const { runId } = made.json() as { runId: string };
    const taskId = `${runId}.${LONG_TASK}.1`;
    expect(taskId.length).toBeLessThanOrEqual(24 + 1 + 63 + 1 + 3);

    await eventually(async () => {
      const run = (await h.call('GET', `/api/v1/runs/${runId}`)).json() as { tasks: { id: string; state: string }[] };
      return run.tasks.find((t) => t.id === taskId && t.state === 'waiting');
    });
    const approved = await h.call('POST', `/api/v1/tasks/${taskId}/approve`, { body: { comment: 'long names work' } });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toStrictEqual({ taskId, runId, approval: { counts: true, why: null, outcome: 'approved', progress: '1 of 1 approval (t-admin)' } });
    await eventually(async () => ((await h.call('GET', `/api/v1/runs/${runId}`)).json() as { state: string }).state === 'succeeded' || undefined);
    expect((await h.call('GET', `/api/v1/projects/${LONG_PROJECT}/status`)).statusCode).toBe(200);
  });

  it('a task name of 80 characters is refused when the pipeline is put, naming line, column and field', async () => {
    const res = await put('shop', pipeline('shop', 'dev', 'a'.repeat(80)));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'SPEC_FIELD', field: 'spec.stages[0].tasks[0].name' });
    expect((res.json() as { message: string }).message).toMatch(/^api:shop:9:18: spec\.stages\[0\]\.tasks\[0\]\.name: 'a{80}' is 80 characters long; a task name has at most 63/);
    expect((await h.call('GET', '/api/v1/projects/shop')).statusCode).toBe(404);
  });

  it('a misspelt kind is refused when the pipeline is put, suggesting the built-in kind', async () => {
    const res = await put('shop', pipeline('shop', 'dev', 'approve', 'aproval'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'SPEC_REFERENCE', field: 'spec.stages[0].tasks[0].kind' });
    expect((res.json() as { message: string }).message).toContain("api:shop:9:33: spec.stages[0].tasks[0].kind: task 'approve' has kind 'aproval', which no executor here serves; did you mean 'approval'?");
  });
});
