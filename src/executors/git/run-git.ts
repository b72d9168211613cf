/**
 * The real `git` binary in a child process: arguments as an array (no shell), a timeout
 * that kills it, the task's AbortSignal, no prompts (a missing credential fails at once
 * instead of hanging on a terminal that is not there), and credentials only in the
 * environment, so they never appear in a process listing.
 */
import { execFile } from 'node:child_process';
import { withoutServerVariables } from '../../core/index.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Repository directory the command runs in. */
  cwd: string;
  /** Extra variables (credentials, see credentials.ts). */
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/** Resolves with the exit code (never throws for a non-zero exit); rejects when git could not run or timed out. */
export function runGit(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  const env = {
    ...withoutServerVariables(process.env),
    GIT_TERMINAL_PROMPT: '0',
    // Messages in one language, so the few this module reads (stale info, missing ref) are recognised.
    LC_ALL: 'C',
    ...opts.env,
  };
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd: opts.cwd, env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          const why = err.killed ? `timed out after ${opts.timeoutMs} ms` : err.message;
          reject(new GitFailure(`git ${args[0] ?? ''} ${why}`, stderr));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

/** git could not run, was killed, or answered with an error the caller cannot act on. */
export class GitFailure extends Error {
  override readonly name = 'GitFailure';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs git and returns stdout, or throws GitFailure with git's own words. */
export async function git(args: readonly string[], opts: GitOptions): Promise<string> {
  const r = await runGit(args, opts);
  if (r.code !== 0) throw new GitFailure(`git ${args[0] ?? ''} failed (exit ${r.code}): ${lastLines(r.stderr)}`, r.stderr);
  return r.stdout;
}

export function lastLines(text: string, n = 4): string {
  return text.trim().split('\n').slice(-n).join(' / ') || '(no output)';
}
