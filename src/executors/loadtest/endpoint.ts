/**
 * Where a load test or traffic comparison sends its requests. With a `url`, there. Without
 * one, the candidate on the deploy target: the slot that runs this run's release, reached
 * through the service's router with the preview header, so live users never see the load.
 * The current version is the other ready slot with the most weight. Recorded traffic comes
 * from the stage's router when it records (the stage's `traffic.record`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutorContext } from '../../engine/executor.js';
import { NonRetryableTaskError } from '../../engine/executor.js';
import { SLOT_HEADER } from '../../platform/index.js';
import type { DeployTarget, ServiceKey, ServiceStatus } from '../../platform/index.js';

export interface ReplayRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
}

/** The recorded sample of a service's live requests, where the deploy target records one. */
export interface TrafficSource {
  recorded(key: ServiceKey): { requests: readonly ReplayRequest[] } | undefined;
}

export interface TrafficDeps {
  targets: (name: string) => DeployTarget | undefined;
  traffic?: TrafficSource;
}

export interface Endpoint {
  url: string;
  headers: Record<string, string>;
  /** The slot and release behind it, when on the deploy target. */
  slot?: string;
  releaseId?: string;
}

export function serviceOf(ctx: ExecutorContext, kind: string, given: string | undefined): ServiceKey {
  const services = Object.keys(ctx.run.artifacts).sort();
  const service = given ?? (services.length === 1 ? services[0] : undefined);
  if (service === undefined) {
    throw new NonRetryableTaskError(`${kind} task '${ctx.task.name}': the release has ${services.length} services (${services.join(', ') || 'none'}); name one with properties.service`);
  }
  return { project: ctx.run.project, stage: ctx.run.stage, service };
}

function targetOf(deps: TrafficDeps, name: string, kind: string, task: string): DeployTarget {
  const t = deps.targets(name);
  if (!t) throw new NonRetryableTaskError(`${kind} task '${task}': deploy target '${name}' is not configured; built-in: local, nginx`);
  return t;
}

export async function statusOf(deps: TrafficDeps, ctx: ExecutorContext, kind: string, target: string, key: ServiceKey): Promise<ServiceStatus> {
  const status = await targetOf(deps, target, kind, ctx.task.name).status(key);
  if (!status) throw new NonRetryableTaskError(`${kind} task '${ctx.task.name}': service '${key.service}' runs nowhere in stage '${key.stage}' on target '${target}'; deploy it first (strategy blue-green keeps it off live traffic), or set properties.url`);
  return status;
}

/** The candidate: this run's release in its slot, through the router's preview header. */
export function candidateOf(status: ServiceStatus, ctx: ExecutorContext, kind: string, key: ServiceKey, path: string): Endpoint {
  const slot = status.slots.find((s) => s.releaseId === ctx.run.releaseId && s.state === 'ready');
  if (!slot) {
    const running = status.slots.map((s) => `${s.slot}: ${s.releaseId} (${s.state})`).join(', ') || 'no slots';
    throw new NonRetryableTaskError(`${kind} task '${ctx.task.name}': release ${ctx.run.releaseId} is not ready in any slot of '${key.service}' in '${key.stage}' (${running}); put a deploy task before it`);
  }
  return { url: new URL(path, status.endpoint).toString(), headers: { [SLOT_HEADER]: slot.slot }, slot: slot.slot, releaseId: slot.releaseId };
}

/** The version serving now: another ready slot, the one with the most weight. */
export function currentOf(status: ServiceStatus, ctx: ExecutorContext, kind: string, key: ServiceKey, path: string): Endpoint {
  const slot = status.slots.filter((s) => s.releaseId !== ctx.run.releaseId && s.state === 'ready').sort((a, b) => b.weight - a.weight)[0];
  if (!slot) throw new NonRetryableTaskError(`${kind} task '${ctx.task.name}': no other version of '${key.service}' is ready in '${key.stage}' to compare with (a first deploy has nothing to compare); set properties.current to a URL`);
  return { url: new URL(path, status.endpoint).toString(), headers: { [SLOT_HEADER]: slot.slot }, slot: slot.slot, releaseId: slot.releaseId };
}

/** Live requests a second over `windowMs`: what the slots with weight served, the candidate's previews left out. */
export async function measureLive(target: DeployTarget, key: ServiceKey, candidateSlot: string | undefined, windowMs: number, signal: AbortSignal): Promise<number> {
  const count = async (): Promise<number> => {
    const status = await target.status(key);
    return (status?.slots ?? []).filter((s) => s.weight > 0 && s.slot !== candidateSlot).reduce((n, s) => n + target.traffic(key, s.slot).requests, 0);
  };
  const before = await count();
  await sleep(windowMs, undefined, { signal });
  return ((await count()) - before) / (windowMs / 1000);
}
