/**
 * The environment of a shell task: Slipway's own variables win over `properties.env`,
 * which wins over the server's environment less its own SLIPWAY_* variables (its tokens, its
 * secrets and their key, its configuration): a task gets a secret only by naming it,
 * `env: {API_KEY: '${secret:API_KEY}'}`.
 * SLIPWAY_TASK_ID doubles as the mark by which a restarted Slipway recognises its command
 * among the running processes.
 */
import { withoutServerVariables } from '../core/index.js';
import type { ExecutorContext } from '../engine/executor.js';

/** `frontend-web` → `SLIPWAY_ARTIFACT_FRONTEND_WEB`. */
export function artifactVariable(service: string): string {
  return `SLIPWAY_ARTIFACT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function slipwayVariables(ctx: ExecutorContext): Record<string, string> {
  const { run, task } = ctx;
  const services = Object.keys(run.artifacts).sort();
  const vars: Record<string, string> = {
    SLIPWAY_PROJECT: run.project,
    SLIPWAY_STAGE: run.stage,
    SLIPWAY_SEQUENCE: run.sequence,
    SLIPWAY_RELEASE: run.releaseId,
    SLIPWAY_RUN: run.id,
    SLIPWAY_TASK: task.name,
    SLIPWAY_TASK_ID: task.id,
    SLIPWAY_ATTEMPT: String(task.attempt),
    SLIPWAY_SERVICES: services.join(','),
  };
  for (const service of services) vars[artifactVariable(service)] = run.artifacts[service]!;
  return vars;
}

export function shellEnvironment(
  ctx: ExecutorContext,
  taskEnv: Readonly<Record<string, string>> = {},
): Record<string, string | undefined> {
  return { ...withoutServerVariables(process.env), ...taskEnv, ...slipwayVariables(ctx) };
}
