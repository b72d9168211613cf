/**
 * The few git commands the watcher runs (Debian's git, as a child process): ls-remote to
 * see the remote's refs, and a fetch into a bare cache repository of its own only where a
 * commit's time and author are needed. No prompt ever waits for a password: a remote that
 * needs one fails, and the watcher backs off.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';

const TIMEOUT_MS = 60_000;

export interface GitOptions {
  /** The git executable (default: git on PATH). */
  git?: string;
}

function run(args: readonly string[], opts: GitOptions & { cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      opts.git ?? 'git',
      [...args],
      { cwd: opts.cwd, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const why = String(stderr).trim().split('\n').filter(Boolean).slice(-2).join('; ') || err.message;
          reject(new Error(`git ${args[0]} failed: ${why}`));
        } else resolve(String(stdout));
      },
    );
  });
}

/** `{ref: commit}` for the remote's branches and tags; an annotated tag gives the commit it points at. */
export async function lsRemote(url: string, opts: GitOptions = {}): Promise<Record<string, string>> {
  const out = await run(['ls-remote', '--heads', '--tags', '--', url], opts);
  const refs: Record<string, string> = {};
  const peeled: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40,64})\t(refs\/(?:heads|tags)\/\S+)$/.exec(line);
    if (!m) continue;
    if (m[2]!.endsWith('^{}')) peeled[m[2]!.slice(0, -3)] = m[1]!;
    else refs[m[2]!] = m[1]!;
  }
  for (const [ref, commit] of Object.entries(peeled)) refs[ref] = commit;
  return refs;
}

/** A bare repository that keeps what was fetched from the remote between polls. */
export async function ensureCache(dir: string, opts: GitOptions = {}): Promise<void> {
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (exists) return;
  await mkdir(dir, { recursive: true });
  await run(['init', '--bare', '--quiet', dir], opts);
}

/** Fetches `refs` from `url` into the cache under refs/slipway/… (their history too, for first-commit times). */
export async function fetchRefs(cache: string, url: string, refs: readonly string[], opts: GitOptions = {}): Promise<void> {
  if (refs.length === 0) return;
  await run(['fetch', '--quiet', '--no-tags', '--', url, ...refs.map((r) => `+${r}:refs/slipway/${r.slice('refs/'.length)}`)], { ...opts, cwd: cache });
}

export interface CommitFacts {
  /** UTC ms (committer time). */
  commitTime: number;
  author: string;
}

export async function commitFacts(cache: string, commit: string, opts: GitOptions = {}): Promise<CommitFacts> {
  const out = await run(['log', '-1', '--format=%ct%x00%an', commit, '--'], { ...opts, cwd: cache });
  const [ct, author] = out.trim().split('\0');
  return { commitTime: Number(ct) * 1000, author: author ?? '' };
}

/** The oldest commit time in `from..to` (the commits a branch gained), or undefined when there are none or `from` is unknown here. */
export async function firstCommitTime(cache: string, from: string, to: string, opts: GitOptions = {}): Promise<number | undefined> {
  try {
    const out = await run(['log', '--format=%ct', `${from}..${to}`, '--'], { ...opts, cwd: cache });
    const times = out.split('\n').filter(Boolean).map((s) => Number(s) * 1000);
    return times.length > 0 ? Math.min(...times) : undefined;
  } catch {
    // `from` was force-pushed away and never fetched: the first commit of the change is not known.
    return undefined;
  }
}
