/**
 * One poll of one project's repository. The first poll of a repository (or of a new URL)
 * records every branch and tag that exists and releases none of them: history was released
 * (or not) before the watcher came, and releasing it all at once would flood the first
 * stage. From then on, a ref whose commit changed and that a trigger rule matches becomes
 * a delivery `<ref>@<commit>` (source `watcher`) through the same intake as webhooks, so a
 * restart between making the release and recording the ref's new commit finds the
 * delivery and makes nothing twice.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Pipeline } from '../../core/index.js';
import { SlipwayError } from '../../core/index.js';
import type { Store } from '../../store/index.js';
import type { GitEvent } from '../rules/index.js';
import { rulesOf, matches } from '../rules/index.js';
import type { Intake } from '../webhooks/index.js';
import { releasePlan } from '../webhooks/index.js';
import type { GitOptions } from './git.js';
import { commitFacts, ensureCache, fetchRefs, firstCommitTime, lsRemote } from './git.js';

export interface PollDeps {
  store: Store;
  intake: Intake;
  log: Logger;
  /** Where the bare cache repositories live. */
  cacheDir: string;
  now: () => number;
  git?: GitOptions;
}

export interface Found {
  ref: string;
  commit: string;
  releaseId?: string;
  runId?: string;
  message: string;
}

export interface PollResult {
  primed: boolean;
  refs: number;
  found: Found[];
}

export async function pollOnce(p: Pipeline, deps: PollDeps): Promise<PollResult> {
  const url = p.repository!.url;
  const refs = await lsRemote(url, deps.git);
  const repo = await deps.store.getWatchRepo(p.name);
  if (!repo || repo.url !== url) {
    await deps.store.primeWatchRepo({ project: p.name, url, primedAt: deps.now() }, refs);
    deps.log.info({ project: p.name, url, refs: Object.keys(refs).length }, 'git watcher: first poll of this repository recorded its branches and tags; it releases what comes after');
    return { primed: true, refs: Object.keys(refs).length, found: [] };
  }
  const seen = await deps.store.watchRefs(p.name);
  const gone = Object.keys(seen).filter((r) => !(r in refs));
  if (gone.length > 0) await deps.store.putWatchRefs(p.name, Object.fromEntries(gone.map((r) => [r, null])));
  const changed = Object.keys(refs)
    .filter((r) => seen[r] !== refs[r])
    .sort();
  const wanted = changed.filter((r) => rulesOf(p).some((rule) => matches(rule, eventOf(r, refs[r]!))));
  // Refs no rule takes are followed silently: a push to any branch is not a delivery.
  const quiet = changed.filter((r) => !wanted.includes(r));
  if (quiet.length > 0) await deps.store.putWatchRefs(p.name, Object.fromEntries(quiet.map((r) => [r, refs[r]!])));
  if (wanted.length === 0) return { primed: false, refs: Object.keys(refs).length, found: [] };

  const cache = join(deps.cacheDir, `${p.name}.git`);
  await ensureCache(cache, deps.git);
  await fetchRefs(cache, url, wanted, deps.git);
  const found: Found[] = [];
  for (const ref of wanted) {
    const commit = refs[ref]!;
    const facts = await commitFacts(cache, commit, deps.git);
    const before = seen[ref];
    const first = ref.startsWith('refs/heads/') && before ? await firstCommitTime(cache, before, commit, deps.git) : undefined;
    const event: GitEvent = { ...eventOf(ref, commit), commitTime: facts.commitTime, firstCommitTime: first ?? facts.commitTime, ...(facts.author ? { author: facts.author } : {}) };
    try {
      const a = await deps.intake.receive({ project: p.name, source: 'watcher', id: `${ref}@${commit}`, event: event.kind, commit }, () => releasePlan(p, event, 'watcher'));
      found.push({ ref, commit, message: a.message, ...(a.releaseId ? { releaseId: a.releaseId } : {}), ...(a.runId ? { runId: a.runId } : {}) });
    } catch (e) {
      // A ref the rules cannot map (or the engine refuses) is recorded as a rejected delivery, seen, and not tried again.
      if (!(e instanceof SlipwayError) || e.code === 'STORE' || e.code === 'SHUTTING_DOWN' || e.code === 'INTERNAL') throw e;
      found.push({ ref, commit, message: e.message });
    }
    await deps.store.putWatchRefs(p.name, { [ref]: commit });
  }
  return { primed: false, refs: Object.keys(refs).length, found };
}

function eventOf(ref: string, commit: string): GitEvent {
  if (ref.startsWith('refs/tags/')) return { kind: 'tag', tag: ref.slice('refs/tags/'.length), commit };
  return { kind: 'push', branch: ref.slice('refs/heads/'.length), commit };
}
