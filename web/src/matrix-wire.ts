/** The matrix answer's compact form (indexes into `strings` and `runs`) turned into one object per cell. */
import type { MatrixCell, ProjectMatrix, WireMatrix } from './types.js';

export function decodeMatrix(w: WireMatrix): ProjectMatrix {
  const s = (i: number): string | null => (i < 0 ? null : (w.strings[i] ?? null));
  const runs = w.runs.map((r) => ({ ...r, releaseId: s(r.release) }));
  return {
    name: w.name,
    services: w.services,
    stages: w.stages,
    cells: w.cells.map((row) =>
      row.map((c): MatrixCell => {
        if (c === null) return emptyCell();
        const run = c[0] >= 0 ? runs[c[0]] : undefined;
        const m = c[4] ?? {};
        return {
          release: run?.releaseId ?? null,
          artifact: s(c[1]),
          runId: run?.id ?? null,
          state: run?.state ?? null,
          since: run?.since ?? null,
          lastGoodRelease: s(c[2]),
          lastGoodArtifact: s(c[3]),
          queued: m.queued ?? 0,
          frozen: m.frozen === true,
          waiting: m.waiting === true,
          paused: m.paused === true,
          soaking: m.soaking ?? null,
          rolledBack: run?.rolledBack ?? false,
          activeRunId: m.active ?? null,
        };
      }),
    ),
  };
}

export function emptyCell(): MatrixCell {
  return { release: null, artifact: null, runId: null, state: null, since: null, lastGoodRelease: null, lastGoodArtifact: null, queued: 0, frozen: false, waiting: false, paused: false, soaking: null, rolledBack: false, activeRunId: null };
}
