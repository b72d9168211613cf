/**
 * `spec.triggers` in slipway.yaml: rules that turn webhook and git watcher events into
 * releases. Each field is checked where it stands (a pattern on the wrong kind of rule, an
 * unknown `${variable}` in an artifact template), services against `spec.services`, so
 * every error names its file:line:col and field.
 */
import { z } from 'zod';
import type { SourceRef, TriggerRule } from '../core/index.js';
import { TEMPLATE_VARIABLES, templateProblem } from '../triggers/index.js';
import { duration, name, strict } from './fields.js';
import type { Path } from './problems.js';
import { show } from './problems.js';

const ON = ['push', 'tag', 'workflow_run', 'package'] as const;
/** Which pattern fields each kind of rule may carry. */
const PATTERNS: Readonly<Record<(typeof ON)[number], readonly string[]>> = {
  push: ['branch'],
  tag: ['tag'],
  workflow_run: ['branch', 'workflow'],
  package: ['package'],
};

const pattern = (what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? undefined : `expected a ${what} pattern such as 'main' or 'release/*', got ${show(iss.input)}`) })
    .min(1)
    .max(200);

export const triggerSchema = strict({
  on: z.enum(ON, { error: (iss) => `${show(iss.input)} is not a trigger event; valid: ${ON.join(', ')}` }).meta({ description: 'push: a new commit on a branch; tag: a new tag; workflow_run: a CI run that succeeded (GitHub workflow_run, GitLab pipeline); package: a package version published (GitHub registry_package).' }),
  branch: pattern('branch').optional().meta({ description: "push and workflow_run: the branch, '*' matching any characters (default: any branch)." }),
  tag: pattern('tag').optional().meta({ description: "tag: the tag, e.g. 'backend/v*' (default: any tag)." }),
  workflow: pattern('workflow').optional().meta({ description: 'workflow_run: the workflow (GitHub) or pipeline (GitLab) name (default: any).' }),
  package: pattern('package').optional().meta({ description: 'package: the package name (default: any).' }),
  artifacts: z
    .record(name('service', true), z.string().min(1).max(512))
    .default({})
    .meta({ description: "{service: template}, e.g. {web: 'registry.example/web:${shortCommit}'}; variables in docs/triggers.md. A tag rule may leave it out: backend/v1.2.3 becomes {backend: 'backend:1.2.3'}." }),
})
  .check((ctx) => {
    const r = ctx.value;
    const push = (path: Path, message: string): void => {
      ctx.issues.push({ code: 'custom', message, input: r, path: [...path] });
    };
    for (const field of ['branch', 'tag', 'workflow', 'package'] as const) {
      if (r[field] !== undefined && !PATTERNS[r.on].includes(field)) push([field], `'${field}' does not apply to on: ${r.on} rules; they take ${PATTERNS[r.on].join(', ')}`);
    }
    if (r.on !== 'tag' && Object.keys(r.artifacts).length === 0) push(['artifacts'], `an on: ${r.on} rule needs artifacts, e.g. {web: 'registry.example/web:\${shortCommit}'}; variables: ${TEMPLATE_VARIABLES[r.on].join(', ')}`);
    for (const [service, template] of Object.entries(r.artifacts)) {
      const message = templateProblem(template, r.on);
      if (message !== undefined) push(['artifacts', service], message);
    }
  })
  .meta({ id: 'Trigger', description: 'A rule that turns a git or CI event (webhook or git watcher) into a release; the first matching rule wins.' });

export const repositoryWatchSchema = strict({
  interval: duration('a poll interval', false).default('1m').meta({ description: 'How often the repository is polled with git ls-remote (default 1m).' }),
}).meta({ description: 'Poll the repository for new branch commits and tags that spec.triggers rules match (the git watcher).' });

export type SlipwayTrigger = z.output<typeof triggerSchema>;

/** Services named by rules that `spec.services` does not declare (checked once both are valid). */
export function triggerServiceProblems(rules: readonly SlipwayTrigger[], services: readonly string[] | undefined): { path: Path; message: string }[] {
  if (!services?.length) return [];
  const out: { path: Path; message: string }[] = [];
  rules.forEach((r, i) => {
    for (const s of Object.keys(r.artifacts)) {
      if (!services.includes(s)) out.push({ path: [i, 'artifacts', s], message: `service '${s}' is not declared in spec.services; declared: ${services.join(', ')}` });
    }
  });
  return out;
}

export function mapTrigger(r: SlipwayTrigger, source: SourceRef): TriggerRule {
  return {
    on: r.on,
    ...(r.branch !== undefined ? { branch: r.branch } : {}),
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    ...(r.workflow !== undefined ? { workflow: r.workflow } : {}),
    ...(r.package !== undefined ? { package: r.package } : {}),
    artifacts: r.artifacts,
    source,
  };
}
