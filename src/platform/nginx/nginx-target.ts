/**
 * A DeployTarget on Debian's nginx, for services Slipway does not start: a version's
 * artifact is the address (`host:port` or `http://host:port`) of a running instance.
 * Slipway writes the upstreams with weights, checks them with `nginx -t`, and reloads.
 * Traffic per slot is counted from nginx's access log.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SlipwayError } from '../../core/index.js';
import type { DeployTarget, ServiceKey, ServiceStatus, SlotTraffic, Version } from '../target.js';
import type { NginxService } from './config.js';
import { mainConfig, serviceConfig } from './config.js';
import { freePort } from '../free-port.js';
import { reloadInForce, workersOf } from './workers.js';

const run = promisify(execFile);

interface SlotRecord {
  address: string;
  releaseId: string;
  artifact: string;
  weight: number;
  retireAt?: number;
}

interface ServiceRecord {
  key: ServiceKey;
  port: number;
  slots: Record<string, SlotRecord>;
}

export interface NginxTargetOptions {
  dataDir: string;
  nginx?: string;
  healthPath?: string;
  healthTimeoutMs?: number;
  /** How a new service's port is chosen (default: a free one from the OS); tests give a taken one. */
  choosePort?: () => Promise<number>;
}

/** A reload nginx refused because a new service's port was taken between choosing it and binding it. */
class PortTaken extends Error {
  constructor(readonly service: ServiceRecord) {
    super(`port ${service.port} was taken before nginx could bind it`);
  }
}

/** How often a new service's port is chosen again when another process took it first. */
const PORT_TRIES = 5;

/** What `file` holds from byte `offset` on ('' when it is missing or no longer). */
function readFrom(file: string, offset: number): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const idOf = (k: ServiceKey) => `${k.project}_${k.stage}_${k.service}`.replace(/[^A-Za-z0-9_]/g, '_');

export function addressOf(artifact: string): string {
  const m = /^(?:https?:\/\/)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(artifact.trim());
  if (!m) throw new SlipwayError('INVALID_ARTIFACT', `nginx target: artifact '${artifact}' is not an address; give host:port of a running instance`, { field: 'artifact' });
  return `${m[1]}:${m[2]}`;
}

export class NginxTarget implements DeployTarget {
  readonly name = 'nginx';
  private readonly prefix: string;
  private readonly errorLog: string;
  private services = new Map<string, ServiceRecord>();
  private master: ChildProcess | undefined;
  private readonly counters = new Map<string, { offset: number; bySlot: Map<string, SlotTraffic> }>();
  private timers = new Map<string, NodeJS.Timeout>();
  /** Services whose port nginx has not bound yet (chosen since the last reload in force). */
  private readonly unbound = new Set<string>();

  constructor(private readonly opts: NginxTargetOptions) {
    this.prefix = resolve(opts.dataDir, 'nginx');
    this.errorLog = join(this.prefix, 'error.log');
  }

  private get bin(): string {
    // Debian puts it in /usr/sbin, which a non-login PATH may lack.
    return this.opts.nginx ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
  }

  async start(): Promise<void> {
    await mkdir(join(this.prefix, 'services'), { recursive: true });
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(this.prefix, 'tmp', d), { recursive: true });
    try {
      const saved = JSON.parse(await readFile(join(this.prefix, 'state.json'), 'utf8')) as ServiceRecord[];
      this.services = new Map(saved.map((s) => [idOf(s.key), s]));
    } catch {
      this.services = new Map();
    }
    await writeFile(join(this.prefix, 'nginx.conf'), mainConfig(this.prefix, process.getuid?.() === 0));
    await this.writeServices();
    await this.check();
    const pid = await this.runningPid();
    if (pid) await this.reload(pid);
    else {
      this.master = spawn(this.bin, ['-p', this.prefix, '-c', join(this.prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
      await this.waitForPid();
    }
    for (const s of this.services.values()) for (const [slot, r] of Object.entries(s.slots)) if (r.retireAt) this.scheduleRetire(s.key, slot, r.retireAt);
  }

  async deploy(key: ServiceKey, slot: string, version: Version, signal?: AbortSignal): Promise<void> {
    const address = addressOf(version.artifact);
    await this.waitHealthy(address, signal);
    const s = await this.service(key);
    s.slots[slot] = { address, releaseId: version.releaseId, artifact: version.artifact, weight: 0 };
    await this.apply();
  }

  async setWeights(key: ServiceKey, weights: Readonly<Record<string, number>>): Promise<void> {
    const s = await this.service(key);
    for (const [slot, r] of Object.entries(s.slots)) r.weight = weights[slot] ?? 0;
    await this.apply();
  }

  async retire(key: ServiceKey, slot: string, afterMs?: number): Promise<void> {
    const s = this.services.get(idOf(key));
    if (!s?.slots[slot]) return;
    if (afterMs && afterMs > 0) {
      s.slots[slot].retireAt = Date.now() + afterMs;
      this.scheduleRetire(key, slot, s.slots[slot].retireAt);
      return this.save();
    }
    delete s.slots[slot];
    await this.apply();
  }

  async status(key: ServiceKey): Promise<ServiceStatus | undefined> {
    const s = this.services.get(idOf(key));
    if (!s) return undefined;
    return {
      endpoint: `http://127.0.0.1:${s.port}`,
      slots: Object.entries(s.slots).map(([slot, r]) => ({ slot, releaseId: r.releaseId, artifact: r.artifact, weight: r.weight, state: 'ready' as const })),
    };
  }

  traffic(key: ServiceKey, slot: string): SlotTraffic {
    const s = this.services.get(idOf(key));
    if (!s) return { requests: 0, errors: 0 };
    const id = idOf(key);
    let c = this.counters.get(id);
    if (!c) this.counters.set(id, (c = { offset: 0, bySlot: new Map() }));
    const log = join(this.prefix, `${id}.access.log`);
    const text = readFrom(log, c.offset);
    if (text !== '') {
      const complete = text.lastIndexOf('\n') + 1;
      c.offset += Buffer.byteLength(text.slice(0, complete));
      const bySlotAddress = new Map(Object.entries(s.slots).map(([name, r]) => [r.address, name]));
      for (const line of text.slice(0, complete).split('\n')) {
        const [addr, status] = line.split(' ');
        const name = addr ? bySlotAddress.get(addr) : undefined;
        if (!name) continue;
        const t = c.bySlot.get(name) ?? { requests: 0, errors: 0 };
        t.requests++;
        if (Number(status) >= 500) t.errors++;
        c.bySlot.set(name, t);
      }
    }
    return { ...(c.bySlot.get(slot) ?? { requests: 0, errors: 0 }) };
  }

  async close(opts: { leaveRunning?: boolean } = {}): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    if (opts.leaveRunning) return;
    const pid = await this.runningPid();
    if (pid) process.kill(pid, 'SIGQUIT');
    if (this.master && this.master.exitCode === null) await new Promise((r) => this.master!.once('exit', r));
  }

  private scheduleRetire(key: ServiceKey, slot: string, at: number): void {
    const id = `${idOf(key)}/${slot}`;
    clearTimeout(this.timers.get(id));
    const t = setTimeout(() => void this.retire(key, slot).catch(() => undefined), Math.max(0, at - Date.now()));
    t.unref();
    this.timers.set(id, t);
  }

  private async service(key: ServiceKey): Promise<ServiceRecord> {
    let s = this.services.get(idOf(key));
    if (!s) {
      this.services.set(idOf(key), (s = { key, port: await this.choosePort(), slots: {} }));
      this.unbound.add(idOf(key));
    }
    return s;
  }

  private choosePort(): Promise<number> {
    return this.opts.choosePort ? this.opts.choosePort() : freePort();
  }

  private async apply(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.save();
      await this.writeServices();
      await this.check();
      const pid = await this.runningPid();
      try {
        if (pid) await this.reload(pid);
        this.unbound.clear();
        break;
      } catch (e) {
        // A free port chosen for a new service can be taken by another process before nginx binds
        // it (nginx then keeps its previous configuration): such a service gets another port.
        if (!(e instanceof PortTaken)) throw e;
        const s = e.service;
        if (attempt >= PORT_TRIES) throw new SlipwayError('INVALID_STATE', `nginx could not bind port ${s.port}: another process holds it (${attempt} ports tried for ${s.key.project}/${s.key.stage}/${s.key.service})`);
        s.port = await this.choosePort();
      }
    }
    // A reload is asynchronous: a service's new port opens a moment later (longer on a busy
    // machine). Returning only once every port takes connections means an endpoint this target
    // names can be called at once.
    await Promise.all([...this.services.values()].map((svc) => this.waitListening(svc.port)));
  }

  /** Reloads and returns once the new configuration is in force: no worker of the previous one still accepts. */
  private async reload(pid: number): Promise<void> {
    const logFrom = existsSync(this.errorLog) ? statSync(this.errorLog).size : 0;
    const before = await workersOf(pid);
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!(await reloadInForce(pid, before))) {
      // nginx refuses a reload whose new listening port it cannot bind, and says so in its log.
      // (It tries a bind five times, half a second apart: lines of an earlier reload's port may follow.)
      for (const m of readFrom(this.errorLog, logFrom).matchAll(/bind\(\) to [^ ]+:(\d+) failed \(98: Address already in use\)/g)) {
        const taken = [...this.services.values()].find((x) => x.port === Number(m[1]) && this.unbound.has(idOf(x.key)));
        if (taken) throw new PortTaken(taken);
      }
      if (Date.now() > deadline) {
        throw new SlipwayError('INVALID_STATE', `nginx (pid ${pid}) did not put its new configuration in force within 10 s of a reload; workers of the previous one still accept connections: ${(await this.lastErrors()) || 'nothing in its error.log'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async waitListening(port: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      if (Date.now() > deadline) {
        throw new SlipwayError('INVALID_STATE', `nginx did not open port ${port} within 10 s of a reload: ${(await this.lastErrors()) || 'nothing in its error.log'}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async save(): Promise<void> {
    const file = join(this.prefix, 'state.json');
    await writeFile(`${file}.tmp`, JSON.stringify([...this.services.values()]));
    await rename(`${file}.tmp`, file);
  }

  private async writeServices(): Promise<void> {
    const dir = join(this.prefix, 'services');
    for (const [id, s] of this.services) {
      const svc: NginxService = { id, port: s.port, slots: Object.entries(s.slots).map(([slot, r]) => ({ slot, address: r.address, weight: r.weight })) };
      await writeFile(join(dir, `${id}.conf`), serviceConfig(svc, this.prefix));
    }
    await rm(join(dir, 'none.conf'), { force: true });
  }

  private async check(): Promise<void> {
    try {
      await run(this.bin, ['-t', '-q', '-p', this.prefix, '-c', join(this.prefix, 'nginx.conf')]);
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new SlipwayError('INVALID_INPUT', `nginx refused the generated configuration: ${(err.stderr ?? err.message).trim()}`, {}, { cause: e });
    }
  }

  private async runningPid(): Promise<number | undefined> {
    try {
      const pid = Number((await readFile(join(this.prefix, 'nginx.pid'), 'utf8')).trim());
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  private async waitForPid(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await this.runningPid()) return;
      if (this.master?.exitCode !== null && this.master?.exitCode !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new SlipwayError('INVALID_INPUT', `nginx did not start: ${await this.lastErrors()}`);
  }

  /** The last three lines of nginx's error.log, joined ('' when there are none). */
  private async lastErrors(): Promise<string> {
    const log = await readFile(this.errorLog, 'utf8').catch(() => '');
    return log.trim().split('\n').slice(-3).join(' | ');
  }

  private async waitHealthy(address: string, signal?: AbortSignal): Promise<void> {
    const url = `http://${address}${this.opts.healthPath ?? '/healthz'}`;
    const deadline = Date.now() + (this.opts.healthTimeoutMs ?? 10_000);
    let last = '';
    while (Date.now() < deadline && !signal?.aborted) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
        last = `answered ${res.status}`;
      } catch (e) {
        last = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new SlipwayError('INVALID_STATE', `nginx target: ${url} is not healthy (${last}); nothing was routed to it`, { field: 'artifact' });
  }
}
