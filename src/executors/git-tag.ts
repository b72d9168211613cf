/**
 * `git-tag`: moves the annotated tag `<tagPrefix><stage>` (with `perService: true`, one tag
 * per service of the release: `<tagPrefix><stage>/<service>`, for monorepos) in the project's
 * repository to the release's commit (`provenance.commit`) and pushes it, so the repository
 * says what runs where. Stage `gitTag: true` adds one as the stage's last task (slipway-map.ts);
 * a pipeline may also place it anywhere in a sequence.
 *
 * Acting once: the tag message records the task id, so a redelivered task that finds its own
 * tag reports it and pushes nothing; a newer release's tag is never overwritten (move-tag.ts).
 * Credentials come from `token` / `sshKey` (normally `${secret:NAME}`) or the environment, and
 * every message and output is redacted of them before it leaves (credentials.ts).
 */
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Executor, ExecutorContext, TaskOutcome } from '../engine/executor.js';
import { NonRetryableTaskError } from '../engine/executor.js';
import { GitFailure, credentialEnv, ensureRepository, fetchCommit, moveTag, redactText } from './git/index.js';
import type { CredentialEnv, MoveResult } from './git/index.js';
import { assertValid, describe, refersToSecret, type Problem, type Properties } from './properties.js';

const DEFAULT_PREFIX = 'env/';
const COMMAND_TIMEOUT_MS = 120_000;
const STRINGS = ['repository', 'tagPrefix', 'stage', 'token', 'username', 'sshKey'] as const;

/** What git accepts in a tag name, kept narrower: no `..`, `//`, leading `/` or trailing `/` `.` `.lock`. */
export function tagNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._/-]+$/.test(name) || /\.\.|\/\/|^\/|\/$|\.$|\.lock(\/|$)|(^|\/)\./.test(name)) {
    return `'${name}' is not a valid tag name: letters, digits, '.', '_', '-' and '/' between parts`;
  }
  return undefined;
}

function problems(props: Properties): Problem[] {
  const out: Problem[] = [];
  for (const f of STRINGS) {
    if (props[f] !== undefined && typeof props[f] !== 'string') out.push({ field: f, message: `${f} must be a string, got ${describe(props[f])}` });
  }
  if (typeof props.repository !== 'string' || props.repository === '') {
    out.push({ field: 'repository', message: 'repository is required: a git URL or path (set spec.repository, or give the task repository: URL)' });
  }
  if (props.perService !== undefined && typeof props.perService !== 'boolean') out.push({ field: 'perService', message: `perService must be true or false, got ${describe(props.perService)}` });
  const prefix = props.tagPrefix;
  if (typeof prefix === 'string' && prefix !== '' && !refersToSecret(prefix)) {
    const bad = tagNameProblem(`${prefix}x`);
    if (bad) out.push({ field: 'tagPrefix', message: `tagPrefix ${describe(prefix)} makes tags git refuses; use letters, digits, '.', '_', '-' and '/'` });
  }
  return out;
}

/** A path (not a URL, not `host:path`) is read from the project's directory. */
function remoteOf(repository: string, projectDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/]+@[^/:]+:/.test(repository) || isAbsolute(repository)) return repository;
  return resolve(projectDir, repository);
}

/** Who approved the release in this run: the approval tasks that passed, read from their messages (`approved by a, b: comment`). */
async function approversOf(ctx: ExecutorContext): Promise<string[]> {
  const runs = (await ctx.runs?.({ project: ctx.run.project, stage: ctx.run.stage, limit: 50 }).catch(() => [])) ?? [];
  const run = runs.find((r) => r.id === ctx.run.id);
  const names = new Set<string>();
  for (const t of run?.tasks ?? []) {
    if (t.kind !== 'approval' || t.result === 'fail') continue;
    const m = /^approved by (.+?)(?::\s|$)/.exec(t.message ?? '');
    for (const who of m?.[1]?.split(',') ?? []) if (who.trim()) names.add(who.trim());
  }
  return [...names];
}

function workDirOf(workDir: string, taskId: string): string {
  return join(workDir, 'git-tag', taskId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

function describeResult(r: MoveResult): string {
  if (r.moved) return `moved ${r.tag} to ${r.commit.slice(0, 12)}${r.previous ? ` (was ${r.previous.commit.slice(0, 12)}${r.previous.releaseId ? `, ${r.previous.releaseId}` : ''})` : ''}`;
  if (r.why === 'already') return `${r.tag} already points to ${r.commit.slice(0, 12)} (moved by this task before)`;
  return `left ${r.tag} at ${r.current.commit.slice(0, 12)}: a newer release (${r.current.releaseId}, run ${r.current.runId}) moved it`;
}

async function run(ctx: ExecutorContext, creds: CredentialEnv): Promise<TaskOutcome> {
  const props = ctx.task.properties;
  const commit = ctx.run.provenance.commit;
  if (!commit) {
    throw new NonRetryableTaskError(`git-tag task '${ctx.task.name}': release ${ctx.run.releaseId} records no commit, so there is nothing to tag; trigger releases with their commit (slipway trigger --commit SHA, or the webhook's "commit")`);
  }
  const stage = (props.stage as string | undefined) ?? ctx.run.stage;
  const prefix = (props.tagPrefix as string | undefined) ?? DEFAULT_PREFIX;
  const services = Object.keys(ctx.run.artifacts).sort();
  const tags: { tag: string; service?: string }[] = props.perService === true ? services.map((s) => ({ service: s, tag: `${prefix}${stage}/${s}` })) : [{ tag: `${prefix}${stage}` }];
  for (const t of tags) {
    const bad = tagNameProblem(t.tag);
    if (bad) throw new NonRetryableTaskError(`git-tag task '${ctx.task.name}': ${bad}; change tagPrefix`);
  }
  const remote = remoteOf(props.repository as string, ctx.run.projectDir);
  const dir = workDirOf(ctx.workDir, ctx.task.id);
  const timeoutMs = () => Math.max(1000, Math.min(COMMAND_TIMEOUT_MS, ctx.task.deadline - ctx.now()));
  await ensureRepository(dir, timeoutMs());
  const full = await fetchCommit(remote, commit, dir, creds, timeoutMs(), ctx.signal);
  if (!full) throw new NonRetryableTaskError(`git-tag task '${ctx.task.name}': commit ${commit} of release ${ctx.run.releaseId} is not in ${redactText(remote)}; push it first or correct the release's commit`);
  const approvedBy = await approversOf(ctx);
  const results: (MoveResult & { service?: string })[] = [];
  for (const t of tags) {
    ctx.heartbeat({ tag: t.tag });
    const record = { project: ctx.run.project, stage, ...(t.service ? { service: t.service } : {}), releaseId: ctx.run.releaseId, runId: ctx.run.id, taskId: ctx.task.id, approvedBy, taggedAt: ctx.task.triggeredAt };
    const r = await moveTag({ remote, tag: t.tag, commit: full, record, dir, credentials: creds, timeoutMs, signal: ctx.signal });
    ctx.log.info(describeResult(r), { tag: t.tag, moved: r.moved });
    results.push(t.service ? { ...r, service: t.service } : r);
  }
  return {
    result: 'pass',
    message: results.map(describeResult).join('; '),
    output: { repository: redactText(remote), commit: full, approvedBy, tags: results },
  };
}

export function createGitTagExecutor(): Executor {
  return {
    kind: 'git-tag',
    validate: problems,
    defaultTimeoutMs: () => 10 * 60_000,
    async execute(ctx): Promise<TaskOutcome> {
      const props = ctx.task.properties;
      assertValid('git-tag', ctx.task.name, problems(props));
      const creds = credentialEnv({
        ...(typeof props.token === 'string' ? { token: props.token } : {}),
        ...(typeof props.username === 'string' ? { username: props.username } : {}),
        ...(typeof props.sshKey === 'string' ? { sshKey: props.sshKey } : {}),
      });
      try {
        return await run(ctx, creds);
      } catch (e) {
        // git's words can carry a URL with credentials: nothing leaves unredacted.
        const text = creds.redact(e instanceof Error ? e.message : String(e));
        if (e instanceof NonRetryableTaskError) throw new NonRetryableTaskError(creds.redact(e.message));
        throw new Error(e instanceof GitFailure ? text : `git-tag task '${ctx.task.name}': ${text}`);
      }
    },
    async cleanup(taskId, workDir) {
      await rm(workDirOf(workDir, taskId), { recursive: true, force: true });
    },
  };
}
