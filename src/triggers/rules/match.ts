/**
 * Which release an event makes: the first rule of `spec.triggers` that matches it, its
 * artifact templates rendered with the event's variables. A project without rules has one
 * implicit rule, `{on: tag}`: every tag becomes a release by the default tag mapping.
 */
import type { Artifacts, Pipeline, TriggerRule } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { GitEvent } from './event.js';
import { describeEvent } from './event.js';
import { globMatch } from './glob.js';
import { render, variablesOf, versionOfTag } from './template.js';

export const IMPLICIT_RULES: readonly TriggerRule[] = [{ on: 'tag', artifacts: {} }];

export interface Mapped {
  artifacts: Artifacts;
  /** Index of the matching rule in spec.triggers (-1: the implicit rule). */
  rule: number;
}

export function rulesOf(p: Pipeline): readonly TriggerRule[] {
  return p.triggers ?? IMPLICIT_RULES;
}

export function matches(rule: TriggerRule, e: GitEvent): boolean {
  if (rule.on !== e.kind) return false;
  const field = (pattern: string | undefined, value: string | undefined) => pattern === undefined || (value !== undefined && globMatch(pattern, value));
  return field(rule.branch, e.branch) && field(rule.tag, e.tag) && field(rule.workflow, e.workflow) && field(rule.package, e.package);
}

/** The release `e` makes in `p`; UNMAPPABLE_PAYLOAD when no rule matches or the match names no artifact. */
export function mapEvent(p: Pipeline, e: GitEvent): Mapped {
  const rules = rulesOf(p);
  const i = rules.findIndex((r) => matches(r, e));
  if (i < 0) {
    const listed = rules.map(describeRule).join('; ');
    throw new SlipwayError('UNMAPPABLE_PAYLOAD', `${describeEvent(e)} matches none of project '${p.name}''s trigger rules (${listed}); add a rule to spec.triggers in slipway.yaml (docs/triggers.md) if it should make a release`, { field: 'spec.triggers', project: p.name });
  }
  const rule = rules[i]!;
  const artifacts = Object.keys(rule.artifacts).length > 0 ? renderAll(rule, e, p.name) : defaultTagArtifacts(p, e);
  return { artifacts, rule: p.triggers ? i : -1 };
}

function renderAll(rule: TriggerRule, e: GitEvent, project: string): Artifacts {
  const vars = variablesOf(e, project);
  return Object.fromEntries(Object.entries(rule.artifacts).map(([service, t]) => [service, render(t, vars)]));
}

/** `backend/v1.2.3` → `{backend: 'backend:1.2.3'}`; `v1.2.3` → the project's only service, when it declares exactly one. */
export function defaultTagArtifacts(p: Pipeline, e: GitEvent): Artifacts {
  const tag = e.tag ?? '';
  const slash = tag.lastIndexOf('/');
  const dir = slash < 0 ? undefined : tag.slice(0, slash).split('/').pop();
  const service = dir ?? (p.services.length === 1 ? p.services[0] : undefined);
  if (service === undefined || service === '') {
    throw new SlipwayError(
      'UNMAPPABLE_PAYLOAD',
      `tag '${tag}' names no service: the default mapping reads '<service>/v<version>' (backend/v1.2.3 → backend:1.2.3), or a bare version when the project declares exactly one service; give the rule artifacts templates (docs/triggers.md)`,
      { field: 'tag', project: p.name },
    );
  }
  return { [service]: `${service}:${versionOfTag(tag)}` };
}

export function describeRule(r: TriggerRule): string {
  const where = r.source ? ` at ${r.source.file}:${r.source.line}:${r.source.column}` : '';
  const parts = [r.branch && `branch '${r.branch}'`, r.tag && `tag '${r.tag}'`, r.workflow && `workflow '${r.workflow}'`, r.package && `package '${r.package}'`].filter(Boolean);
  return `on ${r.on}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}${where}`;
}
