/**
 * Pull-request environments over HTTP: the list (with each service's URL and when an idle
 * environment expires), opening, updating and closing one by hand (so they work without a
 * forge: the same path the webhook adapters take), and pinning one against its TTL.
 */
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import type { PullRequestView } from '../../triggers/index.js';
import { Name, ProjectParams, errors } from '../schemas/common.js';
import type { Api } from '../types.js';
import { by } from '../types.js';
import { requirePipeline } from './projects.js';

const Commit = z.string().regex(/^[0-9a-f]{7,64}$/i, 'a commit id: 7 to 64 hex digits');

export const PullRequestSchema = z.object({
  project: z.string(),
  number: z.number().int(),
  stage: z.string().describe('pr-<number>'),
  state: z.enum(['open', 'closed']),
  commit: z.string(),
  branch: z.string(),
  artifacts: z.record(z.string(), z.string()),
  urls: z.record(z.string(), z.string()).describe('where each service answers, while open'),
  title: z.string().optional(),
  author: z.string().optional(),
  url: z.string().optional().describe("the pull request's page on the forge"),
  source: z.string(),
  openedAt: z.number().int(),
  deployedAt: z.number().int(),
  expiresAt: z.number().int().optional().describe('UTC ms; absent while kept'),
  kept: z.boolean(),
  releaseId: z.string().optional(),
  runId: z.string().optional(),
  runState: z.string().optional(),
  closedAt: z.number().int().optional(),
  closedBecause: z.string().optional(),
});

const PullRequestBody = z.object({
  number: z.number().int().min(1).max(999_999_999),
  action: z.enum(['opened', 'updated', 'closed']).default('opened').describe('opened and updated deploy the head; closed tears the environment down'),
  commit: Commit.describe('head commit of the pull request'),
  branch: z.string().min(1).max(255).default('unknown'),
  artifacts: z.record(Name, z.string().min(1).max(512)).default({}).describe('{service: artifact} built from the head commit (needed to deploy)'),
  merged: z.boolean().optional(),
  title: z.string().max(500).optional(),
  author: z.string().max(200).optional(),
  url: z.url().max(2000).optional(),
});

const NumberParams = ProjectParams.extend({ number: z.coerce.number().int().min(1) });

const view = (v: PullRequestView) => v;

export function pullRequestRoutes(app: Api, slipway: Slipway): void {
  const prs = slipway.pullRequests;

  app.get('/api/v1/projects/:project/pull-requests', {
    config: { scope: 'read' },
    schema: {
      summary: 'Pull-request environments: open ones first, with their URLs, head commit, run state and when an idle one expires',
      params: ProjectParams,
      response: { 200: z.object({ project: z.string(), pullRequests: z.array(PullRequestSchema) }), ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      return { project: p.name, pullRequests: prs.list(p.name).map(view) };
    },
  });

  app.post('/api/v1/projects/:project/pull-requests', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Open, update or close a pull-request environment by hand (what the forge webhooks do): opened/updated deploy the artifacts to pr-<number> and renew its TTL; closed tears it down',
      params: ProjectParams,
      body: PullRequestBody,
      response: { 202: z.object({ stage: z.string(), runId: z.string().optional(), pullRequest: PullRequestSchema }), ...errors },
    },
    handler: async (req, reply) => {
      const b = req.body;
      const p = requirePipeline(slipway, req.params.project);
      // By hand there is no later event to bring the artifacts: a deploy without them is a mistake.
      if (b.action !== 'closed' && Object.keys(b.artifacts).length === 0) {
        throw new SlipwayError('INVALID_INPUT', `pull request ${b.number} of '${p.name}' names no artifacts to deploy; give artifacts: {service: reference} built from its head commit`, { field: 'artifacts' });
      }
      const done = await prs.pullRequest({
        project: p.name,
        number: b.number,
        action: b.action,
        commit: b.commit,
        branch: b.branch,
        artifacts: b.artifacts,
        ...(b.merged !== undefined ? { merged: b.merged } : {}),
        ...(b.title !== undefined ? { title: b.title } : {}),
        author: b.author ?? by(req.identity),
        ...(b.url !== undefined ? { url: b.url } : {}),
        source: 'api',
        at: slipway.clock.now(),
      });
      return reply.code(202).send({ ...done, pullRequest: prs.get(p.name, b.number) });
    },
  });

  app.post('/api/v1/projects/:project/pull-requests/:number/keep', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Pin a pull-request environment so its idle TTL does not tear it down (keep: false lets the TTL run again from now)',
      params: NumberParams,
      body: z.object({ keep: z.boolean().default(true) }).default({ keep: true }),
      response: { 200: PullRequestSchema, ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      return view(await prs.keep(p.name, req.params.number, req.body.keep));
    },
  });

  app.delete('/api/v1/projects/:project/pull-requests/:number', {
    config: { scope: 'trigger' },
    schema: {
      summary: 'Tear a pull-request environment down now: its runs are aborted, every process and route removed',
      params: NumberParams,
      response: { 200: PullRequestSchema, ...errors },
    },
    handler: async (req) => {
      const p = requirePipeline(slipway, req.params.project);
      prs.get(p.name, req.params.number);
      await prs.close(p.name, req.params.number, `closed by ${by(req.identity)}`);
      return view(prs.get(p.name, req.params.number));
    },
  });
}
