/**
 * One keep-alive connection pool per upstream, shared by every slot and table that names it,
 * so a `setSlots` that keeps an upstream keeps its warm connections. Pools no table names any
 * more close gracefully: requests already on them finish first.
 */
import { Pool } from 'undici';
import type { Upstream } from './types.js';

export const upstreamKey = (u: Upstream): string => (u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`);

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly connections: number) {}

  get(u: Upstream): Pool {
    const key = upstreamKey(u);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(`http://${key}`, { connections: this.connections, pipelining: 1 });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes the pools of upstreams not in `keep`, once their requests are done. */
  retain(keep: Iterable<Upstream>): void {
    const keys = new Set([...keep].map(upstreamKey));
    for (const [key, pool] of this.pools) {
      if (keys.has(key)) continue;
      this.pools.delete(key);
      pool.close().catch(() => undefined);
    }
  }

  async close(graceMs: number): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    const closing = Promise.all(all.map((p) => p.close().catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([closing, late])) === 'late') await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
    clearTimeout(timer);
  }
}
