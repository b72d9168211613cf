/**
 * `GET /api/v1/dashboard/matrix`: the stage × service matrix of one project or all, in one
 * answer, for the dashboard's environments page. Per cell it adds to what `/status` says
 * the marks a person scans for: runs queued there (and whether a freeze window holds one),
 * a run waiting on a person or paused, a soak under way, and whether what is live came
 * back by a rollback. `stage` (repeatable) narrows the answer to those rows, so a live
 * update costs one small request however large the matrix is.
 */
import { z } from 'zod';
import type { LiveEntry, Pipeline, Run } from '../../core/index.js';
import { liveKey } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { requirePipeline } from './projects.js';

const Cell = z.object({
  release: z.string().nullable(),
  artifact: z.string().nullable(),
  runId: z.string().nullable().describe('the run that put (or is putting) the release there'),
  state: z.string().nullable().describe("that run's state"),
  since: z.number().int().nullable(),
  lastGoodRelease: z.string().nullable(),
  lastGoodArtifact: z.string().nullable(),
  queued: z.number().int().describe('runs queued in the stage that touch the service'),
  frozen: z.boolean().describe('a freeze window holds one of the queued runs'),
  waiting: z.boolean().describe('a run there waits on a person, a timer or a signal'),
  paused: z.boolean(),
  soaking: z.number().int().nullable().describe('a soak (a `wait` task) runs there until this time (UTC ms)'),
  rolledBack: z.boolean().describe('what is live came back by a rollback'),
  activeRunId: z.string().nullable().describe('the newest run going on there (queued, running, waiting, paused)'),
});

const Matrix = z.object({
  projects: z.array(
    z.object({
      name: z.string(),
      services: z.array(z.string()),
      stages: z.array(z.object({ name: z.string(), after: z.array(z.string()), promotion: z.enum(['auto', 'manual']) })),
      cells: z.array(z.array(Cell)).describe('cells[stage][service], in the order of `stages` and `services`'),
    }),
  ),
});

type CellView = z.infer<typeof Cell>;

const ACTIVE = new Set(['queued', 'running', 'waiting', 'paused']);
/** Whether a live entry's run was a rollback never changes: remembered, so a large matrix costs no store reads after the first. */
const MAX_REMEMBERED = 100_000;

export function dashboardRoutes(app: Api, slipway: Slipway): void {
  const causes = new Map<string, boolean>();
  const wasRollback = async (runId: string): Promise<boolean> => {
    const inMemory = slipway.engine.view.runs.get(runId);
    if (inMemory) return inMemory.cause === 'rollback';
    const known = causes.get(runId);
    if (known !== undefined) return known;
    const run = await slipway.store.getRun(runId);
    if (causes.size >= MAX_REMEMBERED) causes.clear();
    causes.set(runId, run?.cause === 'rollback');
    return run?.cause === 'rollback';
  };

  app.get('/api/v1/dashboard/matrix', {
    config: { scope: 'read' },
    schema: {
      summary: 'The stage × service matrix of one project (or all) with queued, waiting, frozen, soaking and rolled-back marks',
      querystring: z.object({
        project: z.string().optional().describe('one project (default: all)'),
        stage: z.union([z.string(), z.array(z.string())]).optional().describe('only these stages (repeat for several)'),
      }),
      response: { 200: Matrix, ...errors },
    },
    handler: async (req) => {
      const { project } = req.query;
      const pipelines = project !== undefined ? [requirePipeline(slipway, project)] : [...slipway.engine.view.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
      const only = req.query.stage === undefined ? undefined : new Set([req.query.stage].flat());
      const active = [...slipway.engine.view.runs.values()].filter((r) => ACTIVE.has(r.state));
      const projects = [];
      for (const p of pipelines) projects.push(await projectMatrix(slipway, p, active, only, wasRollback));
      return { projects };
    },
  });
}

async function projectMatrix(slipway: Slipway, p: Pipeline, active: readonly Run[], only: ReadonlySet<string> | undefined, wasRollback: (runId: string) => Promise<boolean>) {
  // Projects that declare no services (Keptn shipyards) learn them from what ran: read from the store.
  const stored = p.services.length > 0 ? [] : await slipway.store.live(p.name);
  const services = [...new Set([...p.services, ...stored.map((l) => l.service).sort()])];
  const storedByKey = new Map(stored.map((l) => [liveKey(p.name, l.stage, l.service), l]));
  const live = (stage: string, service: string): LiveEntry | undefined => {
    const key = liveKey(p.name, stage, service);
    return slipway.engine.view.live.get(key) ?? storedByKey.get(key);
  };
  const stages = p.stages.filter((s) => only === undefined || only.has(s.name));
  const byStage = new Map<string, Run[]>();
  for (const r of active) if (r.project === p.name) byStage.set(r.stage, [...(byStage.get(r.stage) ?? []), r]);
  const cells: CellView[][] = [];
  for (const stage of stages) {
    const here = byStage.get(stage.name) ?? [];
    const row: CellView[] = [];
    for (const service of services) {
      const l = live(stage.name, service);
      const runs = here.filter((r) => r.services.includes(service)).sort((a, b) => b.queueSeq - a.queueSeq);
      const queued = runs.filter((r) => r.state === 'queued');
      const soak = runs.flatMap((r) => (r.state === 'running' || r.state === 'waiting' ? r.tasks : [])).find((t) => t.kind === 'wait' && (t.state === 'started' || t.state === 'waiting'));
      row.push({
        release: l?.releaseId ?? null,
        artifact: l?.artifact ?? null,
        runId: l?.runId ?? null,
        state: l?.state ?? null,
        since: l?.since ?? null,
        lastGoodRelease: l?.lastGoodReleaseId ?? null,
        lastGoodArtifact: l?.lastGoodArtifact ?? null,
        queued: queued.length,
        frozen: queued.some((r) => r.frozen !== undefined),
        waiting: runs.some((r) => r.state === 'waiting'),
        paused: runs.some((r) => r.state === 'paused'),
        soaking: soak ? (soak.waitUntil ?? soak.startedAt ?? 0) : null,
        rolledBack: l ? await wasRollback(l.runId) : false,
        activeRunId: runs[0]?.id ?? null,
      });
    }
    cells.push(row);
  }
  return { name: p.name, services, stages: stages.map((s) => ({ name: s.name, after: [...s.after], promotion: s.promotion })), cells };
}
