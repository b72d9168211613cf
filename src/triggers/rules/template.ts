/**
 * Artifact reference templates in trigger rules: `registry.example/web:${shortCommit}`.
 * Variables, by the rule's `on`:
 * - every rule: commit (full SHA), shortCommit (its first 7 characters), project
 * - push: branch
 * - tag: tag (as pushed, `backend/v1.2.3`), version (its last path segment without a
 *   leading `v` before a digit: `1.2.3`)
 * - workflow_run: branch, workflow
 * - package: project, package (name), version (the version published); no commit, since
 *   a package version names none
 * `${secret:…}` is not a template variable: references never end up in artifact names.
 */
import type { TriggerRule } from '../../core/index.js';
import type { GitEvent } from './event.js';

const VARIABLE = /\$\{([^}]*)\}/g;

const COMMON = ['commit', 'shortCommit', 'project'] as const;
export const TEMPLATE_VARIABLES: Readonly<Record<TriggerRule['on'], readonly string[]>> = {
  push: [...COMMON, 'branch'],
  tag: [...COMMON, 'tag', 'version'],
  workflow_run: [...COMMON, 'branch', 'workflow'],
  package: ['project', 'package', 'version'],
};

/** Why `template` cannot be rendered for events of `on` (an unknown variable), or undefined. */
export function templateProblem(template: string, on: TriggerRule['on']): string | undefined {
  const known = TEMPLATE_VARIABLES[on];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!;
    if (!known.includes(name)) {
      const elsewhere = Object.entries(TEMPLATE_VARIABLES).filter(([, vars]) => vars.includes(name)).map(([k]) => k);
      const hint = elsewhere.length > 0 ? ` (it exists for on: ${elsewhere.join(', ')})` : '';
      return `\${${name}} is not a variable of '${on}' rules${hint}; variables: ${known.map((v) => `\${${v}}`).join(', ')}`;
    }
  }
  if (/\s/.test(template.replace(VARIABLE, ''))) return 'an artifact reference has no spaces';
  return undefined;
}

/** `backend/v1.2.3` → `1.2.3`; `v2` → `2`; `release-5` → `release-5`. */
export function versionOfTag(tag: string): string {
  const last = tag.slice(tag.lastIndexOf('/') + 1);
  return /^v\d/.test(last) ? last.slice(1) : last;
}

export function variablesOf(e: GitEvent, project: string): Record<string, string> {
  const vars: Record<string, string> = { commit: e.commit, shortCommit: e.commit.slice(0, 7), project };
  if (e.branch !== undefined) vars['branch'] = e.branch;
  if (e.workflow !== undefined) vars['workflow'] = e.workflow;
  if (e.tag !== undefined) {
    vars['tag'] = e.tag;
    vars['version'] = versionOfTag(e.tag);
  }
  if (e.package !== undefined) vars['package'] = e.package;
  if (e.packageVersion !== undefined) vars['version'] = e.packageVersion;
  return vars;
}

/** The template with each variable replaced; a variable the event lacks becomes empty (validation keeps rules from using those). */
export function render(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(VARIABLE, (_m, name: string) => vars[name] ?? '');
}
