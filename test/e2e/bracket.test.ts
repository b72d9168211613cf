/**
 * The release-bracket scenario, all real: a SQLite file, shell tasks writing to files.
 * frontend and backend go through dev on their own, in parallel; then both go together,
 * as one release, into hardening, which promotes it to production.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../src/core/index.js';
import type { Slipway } from '../../src/main.js';
import { openSlipway } from '../../src/main.js';
import { storeOptionFor } from './support/e2e-store.js';

const pipelineYaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: shop}
spec:
  services: [frontend, backend]
  stages:
    - name: dev
      tasks:
        - {name: deploy, kind: shell, properties: {run: "sleep 0.4; ./record.sh"}}
        - {name: test, kind: shell, properties: {run: ./record.sh}}
    - name: hardening
      after: [dev]
      promotion: manual
      tasks:
        - {name: deploy, kind: shell, properties: {run: ./record.sh}}
        - {name: performance-tests, kind: shell, properties: {run: ./record.sh}}
        - {name: evaluation, kind: shell, properties: {run: ./record.sh}}
        - {name: release, kind: shell, properties: {run: ./record.sh}}
    - name: production
      after: [hardening]
      tasks:
        - {name: deploy, kind: shell, properties: {run: ./record.sh}}
        - {name: release, kind: shell, properties: {run: ./record.sh}}
`;

// Each task appends "<stage> <task> <service>=<artifact>..." to log.txt.
const recordSh = `#!/bin/sh
line="$SLIPWAY_STAGE $SLIPWAY_TASK"
for s in $(echo "$SLIPWAY_SERVICES" | tr ',' ' '); do
  var="SLIPWAY_ARTIFACT_$(echo "$s" | tr 'a-z-' 'A-Z_')"
  eval "ref=\\\${$var}"
  line="$line $s=$ref"
done
echo "$line" >> log.txt
`;

let dir: string;
let slipway: Slipway;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-bracket-'));
  await writeFile(join(dir, 'slipway.yaml'), pipelineYaml);
  await writeFile(join(dir, 'record.sh'), recordSh, { mode: 0o755 });
  slipway = await openSlipway({ dataDir: join(dir, 'data'), ...(await storeOptionFor(join(dir, 'data'))), unservedKinds: 'fail' });
  await slipway.addPipelineFile(join(dir, 'slipway.yaml'));
});

afterEach(async () => {
  await slipway.close();
  await rm(dir, { recursive: true, force: true });
});

function settled(releaseId: string, stages: string[]): Promise<Run[]> {
  const done = new Map<string, Run>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${releaseId} in ${stages.join(', ')}`)), 30_000);
    const on = (run: Run) => {
      if (run.releaseId !== releaseId || !stages.includes(run.stage)) return;
      done.set(run.stage, run);
      if (done.size === stages.length) {
        clearTimeout(timer);
        slipway.engine.emitter.off('run:finished', on);
        resolve(stages.map((s) => done.get(s)!));
      }
    };
    slipway.engine.emitter.on('run:finished', on);
  });
}

const trigger = (artifacts: Record<string, string>, stage?: string) =>
  slipway.engine.apply({ type: 'trigger', id: crypto.randomUUID(), project: 'shop', artifacts, by: 'test', ...(stage ? { stage } : {}) });

describe('release bracket, end to end', () => {
  it('two services pass dev in parallel, then go together through hardening and on to production', async () => {
    const fe = await trigger({ frontend: 'shop/frontend:1.4.2' });
    const be = await trigger({ backend: 'shop/backend:2.0.1' });
    const [feDev] = await Promise.all([settled(fe.value!.releaseId!, ['dev']), settled(be.value!.releaseId!, ['dev'])]).then((r) => r.flat());
    expect(feDev!.state).toBe('succeeded');

    // Both dev runs started before either finished: they ran in parallel.
    const devEvents = (await slipway.store.events({ project: 'shop' })).map((e) => e.event).filter((e) => e.source.endsWith('/stages/dev'));
    const firstFinish = devEvents.findIndex((e) => e.type === 'sh.slipway.run.finished');
    expect(devEvents.slice(0, firstFinish).filter((e) => e.type === 'sh.slipway.run.started')).toHaveLength(2);
    // hardening is manual: single-service releases stop after dev.
    expect(await slipway.store.listRuns({ stage: 'hardening' })).toEqual([]);

    const bracket = await trigger({ frontend: 'shop/frontend:1.4.2', backend: 'shop/backend:2.0.1' }, 'hardening');
    const releaseId = bracket.value!.releaseId!;
    const [hardening, production] = await settled(releaseId, ['hardening', 'production']);
    expect([hardening!.state, hardening!.result, production!.state, production!.result]).toEqual(['succeeded', 'pass', 'succeeded', 'pass']);

    // The event order of the bracket release.
    const events = (await slipway.store.events({ project: 'shop' })).map((e) => e.event);
    const ofRelease = events
      .filter((e) => e.subject === releaseId || (e.runid && [hardening!.id, production!.id].includes(e.runid)))
      .map((e) => `${e.source.split('/').pop()} ${e.type.replace('sh.slipway.', '')}`);
    const expected = ['shop release.created', 'hardening run.queued', 'hardening run.started'];
    for (const t of ['deploy', 'performance-tests', 'evaluation', 'release']) {
      expected.push(`hardening task.${t}.triggered`, `hardening task.${t}.started`, `hardening task.${t}.finished`);
    }
    expected.push('hardening run.finished', 'production run.queued', 'production run.started');
    for (const t of ['deploy', 'release']) {
      expected.push(`production task.${t}.triggered`, `production task.${t}.started`, `production task.${t}.finished`);
    }
    expected.push('production run.finished');
    expect(ofRelease).toEqual(expected);
    // Every task event answers its trigger.
    const triggered = new Map(events.filter((e) => e.type.endsWith('.triggered')).map((e) => [e.taskid, e.id]));
    for (const e of events.filter((x) => x.type.endsWith('.finished') && x.taskid)) expect(e.triggeredid).toBe(triggered.get(e.taskid));

    // The live table: dev holds each service's own release, hardening and production the bracket.
    const live = (await slipway.store.live('shop')).map((l) => [l.stage, l.service, l.artifact, l.releaseId === releaseId, l.state]);
    expect(live.sort()).toEqual([
      ['dev', 'backend', 'shop/backend:2.0.1', false, 'succeeded'],
      ['dev', 'frontend', 'shop/frontend:1.4.2', false, 'succeeded'],
      ['hardening', 'backend', 'shop/backend:2.0.1', true, 'succeeded'],
      ['hardening', 'frontend', 'shop/frontend:1.4.2', true, 'succeeded'],
      ['production', 'backend', 'shop/backend:2.0.1', true, 'succeeded'],
      ['production', 'frontend', 'shop/frontend:1.4.2', true, 'succeeded'],
    ]);

    // Production ran exactly the artifacts dev ran.
    const log = (await readFile(join(dir, 'log.txt'), 'utf8')).trim().split('\n');
    const deployed = (stage: string) =>
      log.filter((l) => l.startsWith(`${stage} deploy `)).flatMap((l) => l.split(' ').slice(2)).sort();
    expect(deployed('production')).toEqual(deployed('dev'));
    expect(deployed('production')).toEqual(['backend=shop/backend:2.0.1', 'frontend=shop/frontend:1.4.2']);
    expect(log.filter((l) => l.startsWith('hardening '))).toHaveLength(4);
  });

  it('refuses a bracket whose artifact has not passed dev, naming the artifact and the stage', async () => {
    const fe = await trigger({ frontend: 'shop/frontend:1.4.2' });
    await settled(fe.value!.releaseId!, ['dev']);
    const d = await slipway.engine.submit({ type: 'trigger', id: 'x', project: 'shop', stage: 'hardening', artifacts: { frontend: 'shop/frontend:1.4.2', backend: 'shop/backend:9.9.9' } });
    expect(d.error?.code).toBe('UPSTREAM_NOT_PASSED');
    expect(d.error?.message).toBe(
      "release cannot enter stage 'hardening': backend=shop/backend:9.9.9 has not passed 'dev'. Run it through the upstream stages first, or set requireUpstream: false on stage 'hardening'",
    );
    expect(await slipway.store.listRuns({ stage: 'hardening' })).toEqual([]);
  });
});
