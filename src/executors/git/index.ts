/** Git for the git-tag executor: the real binary in a child process, credentials, the tag mover. */
export { credentialEnv, redactText, type CredentialEnv, type GitCredentials } from './credentials.js';
export { ensureRepository, fetchCommit, moveTag, type MoveRequest, type MoveResult } from './move-tag.js';
export { GitFailure, git, runGit, type GitOptions, type GitResult } from './run-git.js';
export { formatTagMessage, isNewer, parseTagMessage, type TagRecord } from './tag-message.js';
