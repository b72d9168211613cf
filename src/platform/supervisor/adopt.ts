/**
 * After a Slipway restart, what to do with each instance the desired state lists:
 * - adopt:   its recorded process still runs (the pid carries SLIPWAY_INSTANCE_ID=<id>)
 *            and answers its health check; it is watched by polling from now on
 * - restart: anything else; first every process still carrying the id is stopped, so the
 *            new one is never a second of the same instance
 * - gone:    it was being retired; whatever is left of it is stopped
 */
import type { Logger } from 'pino';
import { sleep, type Clock } from './clock.js';
import type { InstanceRecord } from './desired.js';
import { probe } from './probe.js';
import { instanceGroups, runsInstance } from './process.js';
import type { Registry } from './registry.js';
import { terminate } from './terminate.js';
import type { InstanceSpec, SupervisorEventMap } from './types.js';

export type Verdict = 'adopt' | 'restart' | 'gone';

export interface AdoptReport {
  adopted: string[];
  restarted: string[];
  /** Instances that were being retired when Slipway stopped; now they are stopped. */
  stopped: string[];
}

/** A few checks, `intervalMs` apart: a process that just had a slow moment is not restarted for it. */
async function answersHealth(record: InstanceRecord, clock: Clock): Promise<boolean> {
  const { path, timeoutMs, intervalMs, unhealthyThreshold } = record.manifest.health;
  for (let i = 0; i < unhealthyThreshold; i++) {
    if (i > 0) await sleep(clock, intervalMs);
    if ((await probe(record.port, path, timeoutMs, clock)).ok) return true;
  }
  return false;
}

/** Stops every process group that carries the instance's id (and the recorded one, where /proc is missing). */
export async function stopStrays(record: InstanceRecord, graceMs: number, clock: Clock): Promise<void> {
  const groups = new Set(instanceGroups(record.id));
  if (record.pid !== undefined && (await runsInstance(record.pid, record.id))) groups.add(record.pid);
  await Promise.all([...groups].map((pgid) => terminate(pgid, graceMs, clock)));
}

export async function examine(record: InstanceRecord, graceMs: number, clock: Clock): Promise<Verdict> {
  const runs = record.pid !== undefined && (await runsInstance(record.pid, record.id));
  if (!record.retiring && runs && (await answersHealth(record, clock))) return 'adopt';
  await stopStrays(record, graceMs, clock);
  return record.retiring ? 'gone' : 'restart';
}

export interface AdoptContext {
  registry: Registry;
  log: Logger;
  clock: Clock;
  killGraceMs: number;
  emit<K extends keyof SupervisorEventMap>(event: K, ...args: SupervisorEventMap[K]): void;
}

export async function adoptRecord(record: InstanceRecord, ctx: AdoptContext, report: AdoptReport): Promise<void> {
  const verdict = await examine(record, ctx.killGraceMs, ctx.clock);
  if (verdict === 'gone') return void report.stopped.push(record.id);
  const spec: InstanceSpec = { id: record.id, dir: record.dir, manifest: record.manifest, env: record.env };
  if (verdict === 'adopt' && record.pid !== undefined) {
    const instance = ctx.registry.create(spec, record.port, 'ready');
    instance.adopt(record.pid);
    ctx.log.info({ instanceId: record.id, pid: record.pid }, 'adopted a running instance');
    ctx.emit('instance:ready', { instance: instance.snapshot() });
    report.adopted.push(record.id);
  } else {
    ctx.log.info({ instanceId: record.id }, 'starting an instance again: its process is gone or unhealthy');
    ctx.registry.create(spec, record.port, 'restarting').restartNow();
    report.restarted.push(record.id);
  }
}
