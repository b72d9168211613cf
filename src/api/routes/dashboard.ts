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
import { viewSerializer } from '../serialize.js';
import type { Api } from '../types.js';
import { requirePipeline } from './projects.js';

const Marks = z
  .object({
    queued: z.number().int().optional().describe('runs queued in the stage that touch the service'),
    frozen: z.literal(true).optional().describe('a freeze window holds one of the queued runs'),
    waiting: z.literal(true).optional().describe('a run there waits on a person, a timer or a signal'),
    paused: z.literal(true).optional(),
    soaking: z.number().int().optional().describe('a soak (a `wait` task) runs there until this time (UTC ms)'),
    active: z.string().optional().describe('the newest run going on there (queued, running, waiting, paused)'),
  })
  .describe('only the marks that apply');
const Ix = z.number().int().min(-1);
const Cell = z
  .union([z.tuple([Ix, Ix, Ix, Ix]), z.tuple([Ix, Ix, Ix, Ix, Marks])])
  .nullable()
  .describe('null: nothing ran or runs there. Else [run, artifact, lastGoodRelease, lastGoodArtifact, marks?]: `run` indexes `runs`, the others `strings`; -1 where none');

const Matrix = z.object({
  projects: z.array(
    z.object({
      name: z.string(),
      services: z.array(z.string()),
      stages: z.array(z.object({ name: z.string(), after: z.array(z.string()), promotion: z.enum(['auto', 'manual', 'schedule']) })),
      strings: z.array(z.string()).describe('release ids and artifacts, each once: cells and runs refer to them by index'),
      runs: z.array(z.object({ id: z.string(), release: z.number().int().describe('index in strings'), state: z.string(), since: z.number().int(), rolledBack: z.boolean().describe('it put an earlier release back (a rollback)') })),
      cells: z.array(z.array(Cell)).describe('cells[stage][service], in the order of `stages` and `services`'),
    }),
  ),
});

type CellView = z.infer<typeof Cell>;
type MarksView = z.infer<typeof Marks>;

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
    // The schema documents the answer; checking 50,000 cells on the way out would cost more than building them (src/api/serialize.ts).
    serializerCompiler: viewSerializer,
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
  const strings: string[] = [];
  const stringIx = new Map<string, number>();
  const str = (v: string | undefined): number => {
    if (v === undefined) return -1;
    let i = stringIx.get(v);
    if (i === undefined) {
      i = strings.push(v) - 1;
      stringIx.set(v, i);
    }
    return i;
  };
  const runs: { id: string; release: number; state: string; since: number; rolledBack: boolean }[] = [];
  const runIx = new Map<string, number>();
  const cells: CellView[][] = [];
  for (const stage of stages) {
    const here = byStage.get(stage.name) ?? [];
    const row: CellView[] = [];
    for (const service of services) {
      const l = live(stage.name, service);
      const going = here.filter((r) => r.services.includes(service)).sort((a, b) => b.queueSeq - a.queueSeq);
      if (!l && going.length === 0) {
        row.push(null);
        continue;
      }
      let run = -1;
      if (l) {
        // One run deploys many services: its facts are listed once and the cells point at them.
        const key = `${l.runId}\0${l.state}\0${l.since}`;
        const known = runIx.get(key);
        run = known ?? runs.push({ id: l.runId, release: str(l.releaseId), state: l.state, since: l.since, rolledBack: await wasRollback(l.runId) }) - 1;
        if (known === undefined) runIx.set(key, run);
      }
      const base: [number, number, number, number] = [run, str(l?.artifact), str(l?.lastGoodReleaseId), str(l?.lastGoodArtifact)];
      const marks = marksOf(going);
      row.push(marks ? [...base, marks] : base);
    }
    cells.push(row);
  }
  return { name: p.name, services, stages: stages.map((s) => ({ name: s.name, after: [...s.after], promotion: s.promotion })), strings, runs, cells };
}

function marksOf(going: readonly Run[]): MarksView | undefined {
  if (going.length === 0) return undefined;
  const queued = going.filter((r) => r.state === 'queued');
  const soak = going.flatMap((r) => (r.state === 'running' || r.state === 'waiting' ? r.tasks : [])).find((t) => t.kind === 'wait' && (t.state === 'started' || t.state === 'waiting'));
  return {
    ...(queued.length > 0 ? { queued: queued.length } : {}),
    ...(queued.some((r) => r.frozen !== undefined) ? { frozen: true as const } : {}),
    ...(going.some((r) => r.state === 'waiting') ? { waiting: true as const } : {}),
    ...(going.some((r) => r.state === 'paused') ? { paused: true as const } : {}),
    ...(soak ? { soaking: soak.waitUntil ?? soak.startedAt ?? 0 } : {}),
    active: going[0]!.id,
  };
}
