/**
 * Expand/contract database changes over HTTP: per stage, the `migrate` tasks and what they
 * would run for a release (the plan, a dry run), the schema changes recorded there, and
 * each pending contract with why it may not run yet; and running a contract by hand.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Pipeline, StageSpec } from '../../core/index.js';
import { SlipwayError, contractCheck, pendingExpand, stageChanges } from '../../core/index.js';
import { describeSource, sourceOf } from '../../executors/index.js';
import type { Slipway } from '../../main.js';
import { Name, ProjectParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requirePipeline } from './projects.js';

const PlannedTask = z.object({
  task: z.string(),
  sequence: z.string(),
  service: z.string().nullable().describe("null: the release's only service"),
  database: z.string().describe('as the pipeline writes it (a secret stays a ${secret:NAME} reference)'),
  autoContract: z.boolean(),
  expand: z.string().describe('what the expand runs (for the release asked about, or as declared)'),
  contract: z.string().describe('what the contract runs, later, as a run of its own'),
  expandApplied: z.boolean().nullable().describe('whether the release\'s expand is recorded in this stage; null without a release'),
  contractApplied: z.boolean().nullable(),
});

const Change = z.object({
  id: z.string(),
  phase: z.enum(['expand', 'contract']),
  service: z.string(),
  releaseId: z.string(),
  runId: z.string(),
  applied: z.boolean().describe('false: found applied already by the ledger (nothing ran)'),
  schemaVersion: z.number().int().nullable(),
  at: z.number().int(),
});

const Contract = z.object({
  releaseId: z.string(),
  service: z.string(),
  ready: z.boolean(),
  blockers: z.array(z.string()).describe('why it may not run yet; empty when ready'),
  notBefore: z.number().int().nullable().describe('when its watch window ends'),
});

const StageMigrations = z.object({ stage: z.string(), tasks: z.array(PlannedTask), changes: z.array(Change), pendingContracts: z.array(Contract) });
const MigrationsView = z.object({ project: z.string(), releaseId: z.string().nullable(), stages: z.array(StageMigrations) });

async function plannedTasks(slipway: Slipway, p: Pipeline, stage: StageSpec, artifacts: Readonly<Record<string, string>> | undefined, releaseId: string | undefined) {
  const changes = stageChanges(slipway.engine.view, p.name, stage.name);
  const out: z.infer<typeof PlannedTask>[] = [];
  for (const seq of stage.sequences)
    for (const t of seq.steps.flatMap((s) => s.tasks)) {
      if (t.kind !== 'migrate' || t.properties.phase !== 'expand') continue;
      const service = typeof t.properties.service === 'string' ? t.properties.service : null;
      const svc = service ?? (artifacts && Object.keys(artifacts).length === 1 ? Object.keys(artifacts)[0]! : undefined);
      const dir = slipway.engine.projectDir(p.name);
      const describe = async (phase: 'expand' | 'contract') =>
        artifacts ? describeSource(await sourceOf(t.properties, phase, dir, svc ? artifacts[svc] : undefined)) : typeof t.properties[phase] === 'string' ? String(t.properties[phase]) : `carried by the release: <artifact>/migrations/${phase}.sql`;
      const applied = (phase: string) => (releaseId ? changes.some((c) => c.releaseId === releaseId && c.phase === phase && (svc === undefined || c.service === svc)) : null);
      out.push({
        task: t.name,
        sequence: seq.name,
        service,
        database: String(t.properties.database ?? ''),
        autoContract: t.properties.autoContract !== false,
        expand: await describe('expand'),
        contract: await describe('contract'),
        expandApplied: applied('expand'),
        contractApplied: applied('contract'),
      });
    }
  return out;
}

function pendingContracts(slipway: Slipway, p: Pipeline, stage: StageSpec, now: number) {
  const changes = stageChanges(slipway.engine.view, p.name, stage.name);
  return changes
    .filter((e) => e.phase === 'expand' && !changes.some((c) => c.phase === 'contract' && c.releaseId === e.releaseId && c.service === e.service))
    .map((e) => {
      const check = contractCheck(slipway.engine.view, stage, e, now);
      return { releaseId: e.releaseId, service: e.service, ready: check.blockers.length === 0, blockers: check.blockers, notBefore: check.notBefore ?? null };
    });
}

export function migrationRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/projects/:project/migrations', {
    config: { scope: 'read' },
    schema: {
      summary: 'Expand/contract database changes per stage: what each migrate task would run (for a release: a dry run), the changes recorded, and pending contracts with why they wait',
      params: ProjectParams,
      querystring: z.object({ release: Name.optional().describe('show what would run for this release'), stage: Name.optional() }),
      response: { 200: MigrationsView, ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      const releaseId = req.query.release;
      const release = releaseId ? await slipway.store.getRelease(releaseId) : undefined;
      if (releaseId && (!release || release.project !== p.name)) throw new SlipwayError('UNKNOWN_RELEASE', `release '${releaseId}' does not exist in project '${p.name}'`, { field: 'release' });
      const stages = p.stages.filter((s) => req.query.stage === undefined || s.name === req.query.stage);
      if (stages.length === 0) throw new SlipwayError('UNKNOWN_STAGE', `stage '${req.query.stage}' is not defined in project '${p.name}'; defined stages: ${p.stages.map((s) => s.name).join(', ')}`, { field: 'stage' });
      const now = Date.now();
      const out = [];
      for (const s of stages) {
        const changes = stageChanges(slipway.engine.view, p.name, s.name).map((c) => ({ id: c.id, phase: c.phase, service: c.service, releaseId: c.releaseId, runId: c.runId, applied: c.applied, schemaVersion: c.schemaVersion ?? null, at: c.at }));
        out.push({ stage: s.name, tasks: await plannedTasks(slipway, p, s, release?.artifacts, releaseId), changes, pendingContracts: pendingContracts(slipway, p, s, now) });
      }
      return { project: p.name, releaseId: releaseId ?? null, stages: out };
    },
  });

  app.post('/api/v1/projects/:project/stages/:stage/contract', {
    config: { scope: 'trigger' },
    schema: {
      summary: "Run a release's contract in a stage now, as a run of its own (refused, with every reason, while a slot serves an older release or its rollback window is open); dryRun: say what would run",
      params: ProjectParams.extend({ stage: Name }),
      body: z.object({
        releaseId: Name.optional().describe('default: the newest release expanded there and not contracted'),
        service: Name.optional(),
        dryRun: z.boolean().optional(),
      }),
      response: {
        200: z.object({ project: z.string(), stage: z.string(), releaseId: z.string(), service: z.string(), runId: z.string().nullable(), dryRun: z.boolean(), ready: z.boolean(), blockers: z.array(z.string()) }),
        ...errors,
      },
    },
    handler: async (req) => {
      const { project, stage } = req.params;
      const p = requirePipeline(slipway, project);
      const { releaseId, service, dryRun } = req.body;
      if (dryRun) {
        const s = p.stages.find((x) => x.name === stage);
        if (!s) throw new SlipwayError('UNKNOWN_STAGE', `stage '${stage}' is not defined in project '${project}'`, { field: 'stage' });
        const expand = pendingExpand(slipway.engine.view, project, stage, releaseId, service);
        if (!expand) throw new SlipwayError('INVALID_STATE', `no contract to run in stage '${stage}'${releaseId ? `: release ${releaseId} ran no expand there` : ''}`, { field: 'releaseId' });
        const check = contractCheck(slipway.engine.view, s, expand, Date.now());
        return { project, stage, releaseId: expand.releaseId, service: expand.service, runId: null, dryRun: true, ready: check.blockers.length === 0, blockers: check.blockers };
      }
      const d = await slipway.engine.apply({ type: 'schema.contract', id: randomUUID(), project, stage, by: by(req.identity), ...(releaseId ? { releaseId } : {}), ...(service ? { service } : {}) });
      const run = d.value?.runId ? slipway.engine.view.runs.get(d.value.runId) : undefined;
      const svc = run?.spec.steps[0]?.tasks[0]?.properties.service;
      return { project, stage, releaseId: d.value?.releaseId ?? '', service: typeof svc === 'string' ? svc : '', runId: d.value?.runId ?? null, dryRun: false, ready: true, blockers: [] };
    },
  });
}
