/** Projects (pipelines) as the API shows them. */
import { z } from 'zod';
import type { Pipeline } from '../../core/index.js';

export const ProjectSummary = z.object({
  name: z.string(),
  format: z.string(),
  version: z.string(),
  services: z.array(z.string()),
  stages: z.array(z.string()),
});

export const ProjectDetail = z
  .object({
    name: z.string(),
    format: z.string(),
    version: z.string(),
    services: z.array(z.string()),
    stages: z.array(
      z.object({
        name: z.string(),
        after: z.array(z.string()),
        promotion: z.enum(['auto', 'manual', 'schedule']),
        queue: z.enum(['fifo', 'supersede']),
        requireUpstream: z.boolean(),
        sequences: z.array(
          z.object({
            name: z.string(),
            tasks: z.array(z.object({ name: z.string(), kind: z.string(), step: z.number().int() })),
          }),
        ),
      }),
    ),
  });

export const PutProjectAnswer = z.object({ name: z.string(), version: z.string(), warnings: z.array(z.string()) });

export function projectSummary(p: Pipeline): z.infer<typeof ProjectSummary> {
  return { name: p.name, format: p.format, version: p.version, services: [...p.services], stages: p.stages.map((s) => s.name) };
}

export function projectDetail(p: Pipeline): z.infer<typeof ProjectDetail> {
  return {
    ...projectSummary(p),
    stages: p.stages.map((s) => ({
      name: s.name,
      after: [...s.after],
      promotion: s.promotion,
      queue: s.queue,
      requireUpstream: s.requireUpstream,
      sequences: s.sequences.map((q) => ({
        name: q.name,
        tasks: q.steps.flatMap((step, i) => step.tasks.map((t) => ({ name: t.name, kind: t.kind, step: i }))),
      })),
    })),
  };
}
