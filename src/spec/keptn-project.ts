/**
 * `slipway.keptn.yaml` beside a shipyard: what a Keptn project needs that a shipyard cannot say.
 *
 *   keptn:
 *     project: sockshop              # the project's name (default: the shipyard's metadata.name)
 *     builtin: {release: release}    # Keptn task name → the built-in kind that runs it here
 *     outside: [evaluation]          # Keptn tasks left to outside executors although built-in by default
 *     prometheus: {url: http://…}    # where keptn/<stage>/<service>/sli.yaml queries go
 *     maxRemediationLoops: 3         # how often a sequence may re-trigger itself (default 3)
 *
 * Keptn's own services ran `approval` (shipyard-controller) and `evaluation` (lighthouse), so
 * those stay built-in unless mapped otherwise; every other task goes to outside executors, as
 * in Keptn, where helm-service, jmeter-service or job-executor answered them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { name, strict } from './fields.js';
import { loadWithSchema, readSpecText } from './schema-file.js';

export const KEPTN_PROJECT_FILE = 'slipway.keptn.yaml';

/** Task names Keptn's control plane served itself; Slipway's built-in kinds of the same name stand in. */
export const KEPTN_CONTROL_PLANE_TASKS: Readonly<Record<string, string>> = { approval: 'approval', evaluation: 'evaluation' };

export const keptnProjectSchema = strict({
  keptn: strict({
    project: name('project', true).optional(),
    builtin: z.record(z.string(), z.string()).optional(),
    outside: z.array(z.string()).optional(),
    prometheus: strict({ url: z.string().regex(/^https?:\/\//, { error: 'expected an http(s):// URL' }) }).optional(),
    maxRemediationLoops: z.number().int().min(0).max(100).optional(),
  }),
});

export type KeptnProjectOptions = z.output<typeof keptnProjectSchema>['keptn'];

export function loadKeptnProject(text: string, file: string): KeptnProjectOptions {
  return loadWithSchema(keptnProjectSchema, text, file).keptn;
}

/** The options in `dir`/slipway.keptn.yaml, or none when the file is absent. */
export function loadKeptnProjectDir(dir: string): KeptnProjectOptions | undefined {
  const file = join(dir, KEPTN_PROJECT_FILE);
  return existsSync(file) ? loadKeptnProject(readSpecText(file, 'Keptn project file'), file) : undefined;
}

/**
 * The kind a Keptn task runs as. Mapped to a built-in: that kind. Otherwise its own name, for an
 * outside executor — unless a built-in executor of this process has that name (`release`,
 * `wait`, `shell`, …) and would take it silently: then `keptn.<name>`, which only outside
 * executors serve.
 */
export function keptnTaskKind(task: string, builtin: Readonly<Record<string, string>>, builtinKinds: ReadonlySet<string>): string {
  const mapped = builtin[task];
  if (mapped !== undefined) return mapped;
  return builtinKinds.has(task) ? `${KEPTN_OUTSIDE_PREFIX}${task}` : task;
}

export const KEPTN_OUTSIDE_PREFIX = 'keptn.';

/** Keptn task name → built-in kind, for a project: Keptn's control-plane tasks, the project's mapping, less what it sends outside. */
export function keptnBuiltinMap(project: KeptnProjectOptions | undefined): Record<string, string> {
  const map: Record<string, string> = { ...KEPTN_CONTROL_PLANE_TASKS, ...(project?.builtin ?? {}) };
  for (const task of project?.outside ?? []) delete map[task];
  return map;
}

/** The Keptn task name behind a kind (`keptn.release` → `release`). */
export function keptnTaskOfKind(kind: string): string {
  return kind.startsWith(KEPTN_OUTSIDE_PREFIX) ? kind.slice(KEPTN_OUTSIDE_PREFIX.length) : kind;
}
