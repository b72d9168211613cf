/**
 * The matrix kept current: loaded once after the event stream is open, then each event
 * marks its (project, stage) row stale and only those rows are fetched again
 * (`/api/v1/dashboard/matrix?project=&stage=`), coalesced while a fetch is in flight. A
 * page of a thousand stages thus pays for one row per change, not the whole matrix.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, url } from './api.js';
import { onEvents, whenLive } from './live.js';
import { decodeMatrix, emptyCell } from './matrix-wire.js';
import type { CloudEvent, ProjectMatrix, WireMatrix } from './types.js';

export function stageOf(e: CloudEvent): string | undefined {
  const d = e.data as { stage?: unknown; run?: { stage?: unknown } };
  const s = d.stage ?? d.run?.stage;
  return typeof s === 'string' ? s : undefined;
}

export function useLiveMatrix(project: string | undefined): { data: ProjectMatrix[] | null; error: unknown } {
  const [data, setData] = useState<ProjectMatrix[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let alive = true;
    let loaded = false;
    let busy = false;
    const dirty = new Map<string, Set<string>>();
    const flush = async () => {
      if (!loaded || busy || dirty.size === 0) return;
      busy = true;
      const todo = [...dirty.entries()];
      dirty.clear();
      try {
        for (const [p, stages] of todo) {
          const { projects } = await get<{ projects: WireMatrix[] }>(url('/api/v1/dashboard/matrix', { project: p, stage: [...stages] }));
          const fresh = projects[0] && decodeMatrix(projects[0]);
          if (!alive || !fresh) continue;
          setData((cur) => (cur ? merge(cur, fresh) : cur));
        }
      } catch (e) {
        if (alive) setError(e);
      } finally {
        busy = false;
        if (alive && dirty.size > 0) void flush();
      }
    };
    const off = onEvents((events) => {
      for (const e of events) {
        if (project !== undefined && e.project !== project) continue;
        const stage = stageOf(e);
        if (stage === undefined) continue;
        const set = dirty.get(e.project) ?? new Set<string>();
        set.add(stage);
        dirty.set(e.project, set);
      }
      void flush();
    });
    void (async () => {
      await whenLive();
      try {
        const { projects } = await get<{ projects: WireMatrix[] }>(url('/api/v1/dashboard/matrix', { project }));
        if (!alive) return;
        setData(projects.map(decodeMatrix));
        setError(null);
        loaded = true;
        void flush();
      } catch (e) {
        if (alive) setError(e);
      }
    })();
    return () => {
      alive = false;
      off();
    };
  }, [project]);
  return { data, error };
}

/** Replaces the rows `fresh` carries; a project whose services changed is taken whole on the next full load. */
function merge(cur: ProjectMatrix[], fresh: ProjectMatrix): ProjectMatrix[] {
  return cur.map((m) => {
    if (m.name !== fresh.name) return m;
    if (m.services.join('\0') !== fresh.services.join('\0')) return { ...m, services: fresh.services, cells: m.cells.map(() => fresh.services.map(() => emptyCell())) };
    const rows = new Map(fresh.stages.map((s, i) => [s.name, fresh.cells[i]!]));
    return { ...m, cells: m.stages.map((s, i) => rows.get(s.name) ?? m.cells[i]!) };
  });
}

