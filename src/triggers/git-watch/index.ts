/** The git watcher: releases from new branch commits and tags of a polled repository, for teams without webhooks. */
export { GitWatcher, type GitWatchOptions, type WatchStatus } from './watcher.js';
export type { Found, PollResult } from './poll.js';
export { lsRemote } from './git.js';
