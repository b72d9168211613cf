/**
 * The pipeline: stages as a graph laid out in columns by depth (a stage sits one column
 * right of the deepest stage it follows), so fan-out and fan-in read left to right, with a
 * curve from each stage to each stage after it (graph-edges.tsx); each stage shows the
 * release per service there and the runs going on.
 */
import { useRef } from 'preact/hooks';
import { useLiveMatrix } from '../live-matrix.js';
import { GraphEdges } from '../components/graph-edges.js';
import { LoadError, Loading } from '../components/errors.js';
import { short, tone } from '../format.js';
import { links } from '../router.js';
import type { ProjectMatrix } from '../types.js';
import { Marks } from '../components/badges.js';

export function depths(stages: { name: string; after: string[] }[]): Map<string, number> {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const after = byName.get(name)?.after ?? [];
    const d = after.length === 0 ? 0 : Math.max(...after.map((a) => visit(a, seen) + 1));
    depth.set(name, d);
    return d;
  };
  for (const s of stages) visit(s.name, new Set());
  return depth;
}

export function PipelinePage({ project }: { project: string }) {
  const { data, error } = useLiveMatrix(project);
  const m = data?.[0];
  return (
    <section>
      <p class="crumbs">
        <a href={links.project(project)}>{project}</a> › pipeline
      </p>
      <h1>Pipeline: {project}</h1>
      <LoadError error={error} />
      {!m && !error && <Loading />}
      {m && <Graph m={m} />}
    </section>
  );
}

function Graph({ m }: { m: ProjectMatrix }) {
  const d = depths(m.stages);
  const columns: number[][] = [];
  m.stages.forEach((s, i) => (columns[d.get(s.name) ?? 0] ??= []).push(i));
  const root = useRef<HTMLDivElement>(null);
  const known = new Set(m.stages.map((s) => s.name));
  const running = new Set(m.stages.filter((_, i) => (m.cells[i] ?? []).some((c) => c?.activeRunId)).map((s) => s.name));
  const edges = m.stages.flatMap((s) => s.after.filter((a) => known.has(a)).map((a) => ({ from: a, to: s.name, active: running.has(s.name) })));
  return (
    <div class="graph-wrap" ref={root}>
      <GraphEdges root={root} edges={edges} />
      <ol class="graph">
        {columns.map((col, ci) => (
          <li key={ci} class="graph-col">
            <ul>
              {col.map((i) => {
                const s = m.stages[i]!;
                return (
                  <li key={s.name} class={`stage-box${running.has(s.name) ? ' running' : ''}`} data-stage={s.name}>
                    <h2>{s.name}</h2>
                    {s.after.length > 0 && <p class="muted">after {s.after.join(', ')}</p>}
                    {s.promotion === 'manual' && <p class="muted">manual promotion</p>}
                    <ul class="stage-services">
                      {m.services.map((svc, j) => {
                        const c = m.cells[i]?.[j];
                        return (
                          <li key={svc} class={`svc ${tone(c?.state ?? null)}`}>
                            <a href={links.cell(m.name, s.name, svc)}>
                              <b>{svc}</b> {c?.artifact ?? '—'} {c?.release ? <span class="muted">{short(c.release, 10)}</span> : null} {c?.state ? <span class="state">{c.state}</span> : null}
                            </a>
                            {c && <Marks cell={c} />}
                            {c?.activeRunId && (
                              <a class="run-link" href={links.run(c.activeRunId)}>
                                run going on
                              </a>
                            )}
                          </li>
                        );
                      })}
                    </ul>
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}
