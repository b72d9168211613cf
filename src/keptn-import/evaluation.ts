/**
 * Keptn's lighthouse found a project's SLO by stage and service (`<service>/slo.yaml` on the stage's
 * branch). An evaluation task without `properties.slo` does the same here: it reads
 * `keptn/<stage>/<service>/slo.yaml` beside the pipeline file (the layout `slipway import keptn`
 * writes), with `sli.yaml` next to it for Prometheus, and is scored by the built-in quality gate.
 * With no SLO anywhere it passes with nothing to evaluate, as the lighthouse did.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor, ExecutorContext } from '../engine/index.js';

export interface KeptnSloLookup {
  /** Where the project's SLI queries go (slipway.keptn.yaml `prometheus.url`). */
  prometheusUrl(project: string): string | undefined;
  /** SLO and SLI files named on the command line beside the project: used where no stage/service file exists. */
  fallback(project: string): { slo?: string; sli?: string } | undefined;
}

/** The SLO (and SLI) files of a stage and service under `keptn/` in the project directory. */
export function keptnSloPaths(projectDir: string, stage: string, service: string): { slo?: string; sli?: string } {
  const dir = join(projectDir, 'keptn', stage, service);
  const slo = join(dir, 'slo.yaml');
  const sli = join(dir, 'sli.yaml');
  return { ...(existsSync(slo) ? { slo } : {}), ...(existsSync(sli) ? { sli } : {}) };
}

/** Wraps the built-in `evaluation` executor so a task without `slo` finds its SLO by stage and service. */
export function withKeptnSlos(inner: Executor, lookup: KeptnSloLookup): Executor {
  return {
    ...inner,
    execute: (ctx) => inner.execute(withSlo(ctx, lookup)),
  };
}

function withSlo(ctx: ExecutorContext, lookup: KeptnSloLookup): ExecutorContext {
  const props = ctx.task.properties;
  if (props.slo !== undefined) return ctx;
  const named = props.service;
  const services = Object.keys(ctx.run.artifacts);
  const service = typeof named === 'string' ? named : services.length === 1 ? services[0] : undefined;
  if (service === undefined) return ctx;
  const found = keptnSloPaths(ctx.run.projectDir, ctx.run.stage, service);
  const files = found.slo !== undefined ? found : (lookup.fallback(ctx.run.project) ?? {});
  if (files.slo === undefined) return ctx;
  const url = lookup.prometheusUrl(ctx.run.project);
  // Values come from Prometheus when the project says where it is and an SLI file has the queries; otherwise from the router's own series.
  const source =
    props.provider !== undefined || props.prometheus !== undefined
      ? {}
      : url !== undefined && files.sli !== undefined
        ? { provider: 'prometheus', prometheus: { url } }
        : { provider: 'router' };
  const properties = { ...props, slo: files.slo, ...(files.sli !== undefined && props.sli === undefined ? { sli: files.sli } : {}), ...source };
  ctx.log.info(`evaluation: SLO ${files.slo} for ${ctx.run.stage}/${service}`);
  return { ...ctx, task: { ...ctx.task, properties } };
}
