/**
 * The replicas of the PostgreSQL fault harness (faults-replicas.test.ts): named members, each
 * its own `slipway server` process and data directory on one database, that the harness kills
 * with SIGKILL and starts again under the same --replica-id (as an operator's supervisor would).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplicaStatus } from './replicas-cluster.js';
import { ADMIN } from './faults-harness.js';
import { slipway, type Child } from './support/slipway-process.js';

export interface Member {
  name: string;
  /** The process, from its spawn until its exit. */
  child: Child | undefined;
  /** Where it answers, once it listens; undefined while down or starting. */
  url: string | undefined;
  /** Taken out for good (the long mode's second phase runs on two). */
  retired: boolean;
  /** The end of the stderr of its last process that ended, for failure messages. */
  lastStderr: string;
  /** The whole stderr of its processes that ended, until saveLogs writes them. */
  logs: string[];
}

const alive = (c: Child | undefined): c is Child => c !== undefined && c.proc.exitCode === null && c.proc.signalCode === null;

export class Fleet {
  readonly members: Member[];

  constructor(
    private readonly dir: string,
    private readonly store: string,
    private readonly leaseMs: number,
    names: readonly string[],
  ) {
    this.members = names.map((name) => ({ name, child: undefined, url: undefined, retired: false, lastStderr: '', logs: [] }));
  }

  /** Members whose process lives and listens. */
  running(): Member[] {
    return this.members.filter((m) => m.url !== undefined && alive(m.child));
  }

  /**
   * Starts a member's process; answers true once it listens, false when it exited first (the
   * harness killed it while it started). `killAt` kills it that many ms after the spawn, or at
   * once when it listens sooner: a kill during its start and recovery.
   */
  async start(m: Member, killAt?: number): Promise<boolean> {
    const child = slipway(
      ['server', '--port', '0', '--data', `data-${m.name}`, '--store', this.store, '--replica-id', m.name, '--lease-ms', String(this.leaseMs), 'pipeline.yaml'],
      this.dir,
      { SLIPWAY_ADMIN_TOKEN: ADMIN, SLIPWAY_LOG_LEVEL: 'info' },
    );
    m.child = child;
    const timer = killAt === undefined ? undefined : setTimeout(() => child.proc.kill('SIGKILL'), killAt);
    let line: string | undefined;
    try {
      line = await child.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
    } catch (e) {
      if (alive(child)) throw new Error(`replica ${m.name} did not listen within 60 s: ${(e as Error).message.slice(-3000)}`);
    } finally {
      clearTimeout(timer);
    }
    if (line === undefined) {
      const { code, signal } = await child.exited;
      this.ended(m);
      if (signal !== 'SIGKILL') throw new Error(`replica ${m.name} exited by itself (${code ?? signal}) while starting:\n${child.stderr().slice(-4000)}`);
      return false;
    }
    m.url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
    return true;
  }

  /** SIGKILL, and waits for the exit. */
  async kill(m: Member): Promise<void> {
    const child = m.child;
    m.url = undefined;
    if (!child) return;
    child.proc.kill('SIGKILL');
    await child.exited;
    this.ended(m);
  }

  /** A graceful stop of every process (SIGKILL after 25 s). */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        const child = m.child;
        m.url = undefined;
        if (!alive(child)) return;
        child.proc.kill('SIGTERM');
        const t = setTimeout(() => child.proc.kill('SIGKILL'), 25_000);
        await child.exited;
        clearTimeout(t);
        this.ended(m);
      }),
    );
  }

  /** The replica status as `m` answers it itself, or undefined when it does not answer. */
  async status(m: Member): Promise<ReplicaStatus | undefined> {
    const url = m.url;
    if (url === undefined) return undefined;
    try {
      const r = await fetch(`${url}/api/v1/system/replicas`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: AbortSignal.timeout(10_000) });
      return r.status === 200 ? ((await r.json()) as ReplicaStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Each member's stderr (its process now, or its last one), ends only. */
  stderr(): string {
    return this.members.map((m) => `--- ${m.name}\n${(m.child?.stderr() ?? m.lastStderr).slice(-3000)}`).join('\n');
  }

  /** Every process's whole stderr, in logs/<name>.log of the project dir (kept when the test fails). */
  async saveLogs(): Promise<void> {
    await mkdir(join(this.dir, 'logs'), { recursive: true });
    for (const m of this.members) {
      await appendFile(join(this.dir, 'logs', `${m.name}.log`), m.logs.join('') + (m.child?.stderr() ?? ''));
      m.logs = [];
    }
  }

  private ended(m: Member): void {
    const err = m.child?.stderr() ?? '';
    m.lastStderr = err.slice(-6000);
    m.logs.push(`${err}\n=== process ended ===\n`);
    m.child = undefined;
  }
}
