/** Projects: list, show, and replace a project's pipeline with YAML (admin). */
import { z } from 'zod';
import { SlipwayError } from '../../core/index.js';
import type { Slipway } from '../../main.js';
import { loadPipeline } from '../../spec/index.js';
import { YAML_TYPES } from '../content.js';
import { ProjectParams, errors } from '../schemas/common.js';
import { ProjectDetail, ProjectSummary, PutProjectAnswer, projectDetail, projectSummary } from '../schemas/projects.js';
import type { Api } from '../types.js';
import { by } from '../types.js';

export function requirePipeline(slipway: Slipway, project: string) {
  const p = slipway.engine.pipeline(project);
  if (!p) {
    const known = [...slipway.engine.view.pipelines.keys()].sort().join(', ') || '(none)';
    throw new SlipwayError('UNKNOWN_PROJECT', `project '${project}' is not defined; defined projects: ${known}`, { field: 'project' });
  }
  return p;
}

export function projectRoutes(app: Api, slipway: Slipway): void {
  app.get('/api/v1/projects', {
    config: { scope: 'read' },
    schema: { summary: 'List projects', response: { 200: z.object({ projects: z.array(ProjectSummary) }), ...errors } },
    handler: async () => ({
      projects: [...slipway.engine.view.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name)).map(projectSummary),
    }),
  });

  app.get('/api/v1/projects/:project', {
    config: { scope: 'read' },
    schema: { summary: 'Show a project: stages, sequences, tasks', params: ProjectParams, response: { 200: ProjectDetail, ...errors } },
    handler: async (req) => projectDetail(requirePipeline(slipway, req.params.project)),
  });

  app.put('/api/v1/projects/:project', {
    config: { scope: 'admin', accepts: YAML_TYPES },
    schema: {
      summary: 'Create or replace a project from slipway.yaml (or a Keptn shipyard); runs queued from now on use it',
      params: ProjectParams,
      body: z.string().describe('the pipeline file, as YAML text'),
      response: { 200: PutProjectAnswer, ...errors },
    },
    handler: async (req) => {
      const { project } = req.params;
      const origin = `api:${project}`;
      // Check the name before anything is saved: a mismatch must leave no version behind.
      const { pipeline } = loadPipeline(req.body, origin);
      if (pipeline.name !== project) {
        throw new SlipwayError('INVALID_INPUT', `${origin}: metadata.name is '${pipeline.name}' but the URL names project '${project}'; make them equal`, {
          field: 'metadata.name',
        });
      }
      const loaded = await slipway.addPipelineText(req.body, origin, slipway.dataDir, by(req.identity));
      return { name: loaded.pipeline.name, version: loaded.pipeline.version, warnings: loaded.warnings };
    },
  });
}
