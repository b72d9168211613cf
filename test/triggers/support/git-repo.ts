/** Real git repositories for the watcher tests: a bare remote and a working clone that commits, tags and pushes (Debian's git). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Repo {
  remote: string;
  work: string;
  /** Commits a change at `date` (RFC 3339) and returns its SHA. */
  commit(message: string, date: string, author?: string): string;
  tag(name: string, annotated?: boolean): void;
  push(...refs: string[]): void;
  git(...args: string[]): string;
}

export function makeRepo(dir: string): Repo {
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  execFileSync('git', ['init', '--bare', '--quiet', '--initial-branch=main', remote]);
  mkdirSync(work, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).toString().trim();
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  git('remote', 'add', 'origin', remote);
  let n = 0;
  return {
    remote,
    work,
    git,
    commit(message, date, author = 'Dev') {
      writeFileSync(join(work, 'file.txt'), `${message} ${n++}\n`);
      git('add', 'file.txt');
      execFileSync('git', ['commit', '--quiet', '-m', message, `--author=${author} <${author.toLowerCase()}@example.com>`], {
        cwd: work,
        env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
      return git('rev-parse', 'HEAD');
    },
    tag(name, annotated = true) {
      if (annotated) git('tag', '-a', name, '-m', `release ${name}`);
      else git('tag', name);
    },
    push(...refs) {
      git('push', '--quiet', 'origin', ...refs);
    },
  };
}
