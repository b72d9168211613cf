/**
 * The built-in local platform as a DeployTarget: each project/stage/service gets a router
 * on its own port (kept across restarts), and each slot behind it is a supervised process
 * of one release's deployable. What runs where is written to a state file after every
 * change, so a restarted Slipway re-opens the same ports and adopts the same processes.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SlipwayError } from '../../core/index.js';
import { resolveArtifact } from '../manifest/index.js';
import { Router } from '../router/index.js';
import type { RecordedRequest, RecordSpec, SlotMap } from '../router/index.js';
import { Supervisor } from '../supervisor/index.js';
import type { DeployTarget, ServiceKey, ServiceStatus, SlotTraffic, Version } from '../target.js';

interface SlotRecord {
  releaseId: string;
  artifact: string;
  instanceId: string;
  weight: number;
  retireAt?: number;
}

interface ServiceRecord {
  key: ServiceKey;
  port: number;
  slots: Record<string, SlotRecord>;
  mirror?: { slot: string; share: number };
}

export interface LocalPlatformOptions {
  dataDir: string;
  log?: Logger;
}

const idOf = (k: ServiceKey) => `${k.project}/${k.stage}/${k.service}`;

export class LocalPlatform implements DeployTarget {
  readonly name = 'local';
  readonly supervisor: Supervisor;
  /** The routers' Prometheus series (requests, errors, latency per slot); the server exposes it on /metrics. */
  readonly registry = new Registry();
  private readonly dir: string;
  private readonly log: Logger;
  private services = new Map<string, ServiceRecord>();
  private readonly routers = new Map<string, Router>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Recording of live traffic per `project/stage` (the stage's `traffic.record`), for every service's router there. */
  private readonly recording = new Map<string, RecordSpec>();

  constructor(private readonly opts: LocalPlatformOptions) {
    this.dir = resolve(opts.dataDir, 'platform');
    this.log = opts.log ?? pino({ level: 'silent' });
    this.supervisor = new Supervisor({ dataDir: this.dir, log: this.log });
  }

  /** Re-opens every service's router on its port and adopts (or restarts) its processes. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    try {
      const saved = JSON.parse(await readFile(join(this.dir, 'services.json'), 'utf8')) as ServiceRecord[];
      this.services = new Map(saved.map((s) => [idOf(s.key), s]));
    } catch {
      this.services = new Map();
    }
    await this.supervisor.adopt();
    for (const s of this.services.values()) {
      await this.router(s);
      this.route(s);
      for (const [slot, r] of Object.entries(s.slots)) if (r.retireAt) this.scheduleRetire(s.key, slot, r.retireAt);
    }
  }

  async deploy(key: ServiceKey, slot: string, version: Version, signal?: AbortSignal): Promise<void> {
    const s = await this.service(key);
    const current = s.slots[slot];
    const instanceId = `${idOf(key)}/${slot}/${version.releaseId}`;
    if (current?.instanceId === instanceId && this.supervisor.get(instanceId)?.status === 'ready') {
      delete current.retireAt;
      return this.save();
    }
    if (signal?.aborted) throw new SlipwayError('INVALID_STATE', 'deploy aborted');
    const deployable = await resolveArtifact(version.artifact, { dataDir: this.dir, baseDir: version.baseDir });
    await this.supervisor.start({
      id: instanceId,
      dir: deployable.dir,
      manifest: deployable.manifest,
      env: { SLIPWAY_SLOT: slot, SLIPWAY_RELEASE: version.releaseId, SLIPWAY_SERVICE: key.service, SLIPWAY_STAGE: key.stage },
    });
    const replaced = current && current.instanceId !== instanceId ? current.instanceId : undefined;
    s.slots[slot] = { releaseId: version.releaseId, artifact: version.artifact, instanceId, weight: current?.weight ?? 0 };
    await this.save();
    this.route(s);
    if (replaced) await this.supervisor.retire(replaced);
  }

  async setWeights(key: ServiceKey, weights: Readonly<Record<string, number>>, mirror?: { slot: string; share: number }): Promise<void> {
    const s = await this.service(key);
    for (const [slot, r] of Object.entries(s.slots)) r.weight = weights[slot] ?? 0;
    if (mirror) s.mirror = mirror;
    else delete s.mirror;
    await this.save();
    this.route(s);
  }

  async retire(key: ServiceKey, slot: string, afterMs?: number): Promise<void> {
    const s = this.services.get(idOf(key));
    const r = s?.slots[slot];
    if (!s || !r) return;
    if (afterMs && afterMs > 0) {
      r.retireAt = Date.now() + afterMs;
      this.scheduleRetire(key, slot, r.retireAt);
      return this.save();
    }
    delete s.slots[slot];
    if (s.mirror?.slot === slot) delete s.mirror;
    await this.save();
    this.route(s);
    await this.supervisor.retire(r.instanceId);
  }

  async status(key: ServiceKey): Promise<ServiceStatus | undefined> {
    const s = this.services.get(idOf(key));
    if (!s) return undefined;
    const slots = Object.entries(s.slots).map(([slot, r]) => {
      const st = this.supervisor.get(r.instanceId)?.status;
      const state = st === 'ready' ? 'ready' : st === 'starting' || st === 'restarting' ? 'starting' : st === 'unhealthy' ? 'unhealthy' : 'stopped';
      return { slot, releaseId: r.releaseId, artifact: r.artifact, weight: r.weight, state } as const;
    });
    return { endpoint: `http://127.0.0.1:${s.port}`, slots, ...(s.mirror ? { mirror: s.mirror } : {}) };
  }

  /**
   * Removes a service whose environment is gone (a pull request's): retires every slot, closes
   * its router (the port is released) and drops its record. A later deploy starts afresh.
   */
  async forget(key: ServiceKey): Promise<void> {
    const s = this.services.get(idOf(key));
    if (!s) return;
    for (const slot of Object.keys(s.slots)) await this.retire(key, slot);
    this.services.delete(idOf(key));
    await this.save();
    await this.routers.get(idOf(key))?.close(1000);
    this.routers.delete(idOf(key));
  }

  /** Where the service answers, when it has been deployed here. */
  endpoint(key: ServiceKey): string | undefined {
    const s = this.services.get(idOf(key));
    return s ? `http://127.0.0.1:${s.port}` : undefined;
  }

  traffic(key: ServiceKey, slot: string): SlotTraffic {
    const m = this.routers.get(idOf(key))?.metrics().slots[slot];
    if (!m) return { requests: 0, errors: 0 };
    return {
      requests: m.requests,
      errors: m.errors,
      ...(m.p50Ms !== undefined ? { p50Ms: m.p50Ms } : {}),
      ...(m.p99Ms !== undefined ? { p99Ms: m.p99Ms } : {}),
      sumMs: m.sumMs,
      buckets: m.buckets,
    };
  }

  /**
   * Records (or, with undefined, stops recording) a sample of each service's live requests in
   * a stage: the stage's `traffic.record`, set whenever its pipeline is loaded.
   */
  setRecording(project: string, stage: string, spec: RecordSpec | undefined): void {
    const id = `${project}/${stage}`;
    if (spec) this.recording.set(id, spec);
    else this.recording.delete(id);
    for (const s of this.services.values()) if (s.key.project === project && s.key.stage === stage) this.routers.get(idOf(s.key))?.record(spec);
  }

  /** The recorded sample of a service's live requests (redacted as recorded); undefined when it records none. */
  recorded(key: ServiceKey): { requests: RecordedRequest[]; seen: number; recorded: number; spec: RecordSpec } | undefined {
    const rec = this.routers.get(idOf(key))?.recording;
    return rec ? { requests: rec.requests(), ...rec.counts(), spec: rec.spec } : undefined;
  }

  /** Starts the service's processes again (a post-release hook: pick up a schema change). */
  async restart(key: ServiceKey): Promise<string[]> {
    const s = this.services.get(idOf(key));
    if (!s) return [];
    const done: string[] = [];
    for (const [slot, r] of Object.entries(s.slots)) {
      const inst = this.supervisor.get(r.instanceId);
      if (!inst) continue;
      const deployable = await resolveArtifact(inst.dir, { dataDir: this.dir });
      const fresh = `${r.instanceId}#${Date.now()}`;
      await this.supervisor.start({ id: fresh, dir: inst.dir, manifest: deployable.manifest, env: { SLIPWAY_SLOT: slot, SLIPWAY_RELEASE: r.releaseId } });
      const old = r.instanceId;
      r.instanceId = fresh;
      await this.save();
      this.route(s);
      await this.supervisor.retire(old);
      done.push(slot);
    }
    return done;
  }

  async close(opts: { leaveRunning?: boolean } = {}): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const r of this.routers.values()) await r.close(1000);
    this.routers.clear();
    await this.supervisor.stopAll(opts);
  }

  private route(s: ServiceRecord): void {
    const slots: Record<string, { upstreams: { host: string; port: number }[]; weight: number }> = {};
    for (const [slot, r] of Object.entries(s.slots)) {
      const inst = this.supervisor.get(r.instanceId);
      if (inst) slots[slot] = { upstreams: [{ host: '127.0.0.1', port: inst.port }], weight: r.weight };
    }
    this.routers.get(idOf(s.key))?.setSlots(slots as SlotMap, s.mirror ? { mirror: s.mirror } : {});
  }

  private async service(key: ServiceKey): Promise<ServiceRecord> {
    let s = this.services.get(idOf(key));
    if (!s) {
      s = { key, port: 0, slots: {} };
      const address = await (await this.router(s)).address;
      s.port = address!.port;
      this.services.set(idOf(key), s);
      await this.save();
    }
    return s;
  }

  private async router(s: ServiceRecord): Promise<Router> {
    let r = this.routers.get(idOf(s.key));
    if (r) return r;
    r = new Router({ port: s.port, log: this.log, labels: s.key, registry: this.registry });
    await r.listen();
    r.record(this.recording.get(`${s.key.project}/${s.key.stage}`));
    this.routers.set(idOf(s.key), r);
    return r;
  }

  private scheduleRetire(key: ServiceKey, slot: string, at: number): void {
    const id = `${idOf(key)}/${slot}`;
    clearTimeout(this.timers.get(id));
    const t = setTimeout(() => void this.retire(key, slot).catch((e: unknown) => this.log.warn({ err: e }, 'retire failed')), Math.max(0, at - Date.now()));
    t.unref();
    this.timers.set(id, t);
  }

  private async save(): Promise<void> {
    const file = join(this.dir, 'services.json');
    await writeFile(`${file}.tmp`, JSON.stringify([...this.services.values()]));
    await rename(`${file}.tmp`, file);
  }
}
