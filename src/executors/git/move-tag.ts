/**
 * Moves one annotated tag in a remote repository to a commit, safely against other movers.
 *
 * Which mover is newer is decided by the `Slipway-Tagged-At` trailer (the git-tag task's
 * trigger time, then the run id), not by commit ancestry: a stage runs one release at a
 * time, so the later git-tag task belongs to what runs there now, and a rollback to an older
 * commit must move the tag back. A tag Slipway did not write (no trailers) counts as older.
 *
 * Each attempt reads the remote tag, decides, and pushes with `--force-with-lease` naming the
 * tag object it read: the remote updates the ref only if it still holds that object (a
 * compare-and-swap in receive-pack), so a mover that lost a race re-reads and decides again.
 * It never overwrites a newer mover's tag, and two racing movers end with the newer's commit.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialEnv } from './credentials.js';
import { GitFailure, git, lastLines, runGit } from './run-git.js';
import { formatTagMessage, isNewer, parseTagMessage } from './tag-message.js';
import type { TagRecord } from './tag-message.js';

export interface MoveRequest {
  /** URL or absolute path git understands. */
  remote: string;
  tag: string;
  /** Full commit id. */
  commit: string;
  record: TagRecord;
  /** A bare repository of this mover's own (made if missing). */
  dir: string;
  credentials: CredentialEnv;
  /** Time one git command may take now (ms). */
  timeoutMs: () => number;
  signal?: AbortSignal;
  /** Attempts before giving up on a tag that keeps moving under us (default 8). */
  attempts?: number;
  /** Waits between attempts (injected so tests stay fast); default: a short random backoff. */
  pause?: (attempt: number) => Promise<void>;
}

export type MoveResult =
  | { tag: string; moved: true; commit: string; previous?: { commit: string; releaseId?: string } }
  | { tag: string; moved: false; commit: string; why: 'already' | 'newer'; current: { commit: string; releaseId: string; runId: string } };

interface RemoteTag {
  object: string;
  commit: string;
  record?: TagRecord;
}

const REMOTE_COPY = 'refs/slipway/remote-tag';

export async function moveTag(req: MoveRequest): Promise<MoveResult> {
  const opts = () => ({ cwd: req.dir, env: req.credentials.env, timeoutMs: req.timeoutMs(), ...(req.signal ? { signal: req.signal } : {}) });
  const attempts = req.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const current = await readRemoteTag(req, opts);
    if (current?.record && current.commit === req.commit && current.record.taskId === req.record.taskId) {
      return { tag: req.tag, moved: false, commit: req.commit, why: 'already', current: { commit: current.commit, releaseId: current.record.releaseId, runId: current.record.runId } };
    }
    if (current?.record && isNewer(current.record, req.record)) {
      return { tag: req.tag, moved: false, commit: req.commit, why: 'newer', current: { commit: current.commit, releaseId: current.record.releaseId, runId: current.record.runId } };
    }
    const file = join(req.dir, 'SLIPWAY_TAG_MESSAGE');
    await writeFile(file, formatTagMessage(req.record));
    await git(['-c', 'user.name=Slipway', '-c', 'user.email=slipway@localhost', 'tag', '-f', '-a', '-F', file, req.tag, req.commit], opts());
    const ref = `refs/tags/${req.tag}`;
    const pushed = await runGit(['push', '--porcelain', `--force-with-lease=${ref}:${current?.object ?? ''}`, req.remote, `${ref}:${ref}`], opts());
    if (pushed.code === 0) {
      const previous = current ? { commit: current.commit, ...(current.record ? { releaseId: current.record.releaseId } : {}) } : undefined;
      return { tag: req.tag, moved: true, commit: req.commit, ...(previous ? { previous } : {}) };
    }
    const said = `${pushed.stdout}\n${pushed.stderr}`;
    if (!lostRace(said)) throw new GitFailure(`git push of ${ref} failed (exit ${pushed.code}): ${lastLines(said)}`, said);
    if (attempt >= attempts) throw new GitFailure(`tag ${req.tag} kept moving under us: ${attempts} pushes lost the race to other movers`, said);
    await (req.pause ?? backoff)(attempt);
  }
}

/** The remote's copy of the tag: its object, the commit it points to, and Slipway's trailers when it has them. */
async function readRemoteTag(req: MoveRequest, opts: () => Parameters<typeof git>[1]): Promise<RemoteTag | undefined> {
  const ref = `refs/tags/${req.tag}`;
  const listed = await git(['ls-remote', req.remote, ref], opts());
  const object = listed
    .split('\n')
    .map((l) => l.split('\t'))
    .find(([, name]) => name === ref)?.[0];
  if (!object) return undefined;
  // `+`: the copy follows the remote wherever it moved since the last read.
  await git(['fetch', '--no-tags', '--depth=1', req.remote, `+${ref}:${REMOTE_COPY}`], opts());
  const type = (await git(['cat-file', '-t', object], opts())).trim();
  const commit = (await git(['rev-parse', `${object}^{commit}`], opts())).trim();
  if (type !== 'tag') return { object, commit };
  const body = await git(['cat-file', 'tag', object], opts());
  const record = parseTagMessage(body.slice(body.indexOf('\n\n') + 2));
  return record ? { object, commit, record } : { object, commit };
}

/** The push lost a compare-and-swap: someone moved the tag between our read and our push. */
function lostRace(output: string): boolean {
  return /stale info|failed to update ref|cannot lock ref|\[rejected\]|fetch first|already exists/i.test(output);
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fetches `commit` into the mover's repository and returns its full id; undefined when the remote does not have it. */
export async function fetchCommit(remote: string, commit: string, dir: string, credentials: CredentialEnv, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const opts = { cwd: dir, env: credentials.env, timeoutMs, ...(signal ? { signal } : {}) };
  const direct = await runGit(['fetch', '--no-tags', '--depth=1', remote, commit], opts);
  // A short id or a server that refuses a want by id: fetch the branches and look it up.
  if (direct.code !== 0) {
    const all = await runGit(['fetch', '--no-tags', remote, '+refs/heads/*:refs/slipway/heads/*'], opts);
    if (all.code !== 0) throw new GitFailure(`git fetch from the repository failed (exit ${all.code}): ${lastLines(all.stderr)}`, all.stderr);
  }
  const found = await runGit(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], opts);
  return found.code === 0 ? found.stdout.trim() : undefined;
}

/** A bare repository for the mover (idempotent). */
export async function ensureRepository(dir: string, timeoutMs: number): Promise<void> {
  // Judged by its HEAD file, not by asking git: a data directory inside a checkout would find that checkout.
  if (existsSync(join(dir, 'HEAD'))) return;
  await mkdir(dir, { recursive: true });
  await git(['init', '--bare', '--quiet', dir], { cwd: dir, timeoutMs });
}
