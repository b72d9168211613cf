/**
 * How git authenticates for a git-tag task, without a credential ever reaching an argument
 * list, a URL written to disk, or the task's output:
 * - `token` (an https token, normally `${secret:GIT_TOKEN}`): sent as an `Authorization`
 *   header through GIT_CONFIG_* variables (git ≥ 2.31), user `username` (default
 *   `x-access-token`, which GitHub and GitLab accept with a token);
 * - `sshKey` (a private key's path): `ssh -i KEY -o IdentitiesOnly=yes -o BatchMode=yes`;
 * - neither: whatever the server's environment gives git (credential helper, ssh-agent,
 *   GIT_SSH_COMMAND, ~/.git-credentials).
 * `redactor` removes the token (and its header form) and any `user:password@` in a URL from
 * text git printed, before it goes into a message.
 */
export interface GitCredentials {
  token?: string;
  username?: string;
  sshKey?: string;
}

export interface CredentialEnv {
  env: Record<string, string>;
  redact(text: string): string;
}

/** `'` inside single quotes for the shell git runs GIT_SSH_COMMAND with. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function credentialEnv(c: GitCredentials, base: Readonly<Record<string, string | undefined>> = process.env): CredentialEnv {
  const env: Record<string, string> = {};
  const hidden: string[] = [];
  if (c.token !== undefined && c.token !== '') {
    const basic = Buffer.from(`${c.username ?? 'x-access-token'}:${c.token}`).toString('base64');
    // Appended after any GIT_CONFIG_* the server already sets, so those keep working.
    const n = Number(base['GIT_CONFIG_COUNT'] ?? '0') || 0;
    env['GIT_CONFIG_COUNT'] = String(n + 1);
    env[`GIT_CONFIG_KEY_${n}`] = 'http.extraHeader';
    env[`GIT_CONFIG_VALUE_${n}`] = `Authorization: Basic ${basic}`;
    hidden.push(c.token, basic);
  }
  if (c.sshKey !== undefined && c.sshKey !== '') {
    env['GIT_SSH_COMMAND'] = `ssh -i ${shellQuote(c.sshKey)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`;
  } else if (base['GIT_SSH_COMMAND'] === undefined) {
    // No terminal to answer a passphrase or host-key prompt: fail at once, not at the timeout.
    env['GIT_SSH_COMMAND'] = 'ssh -o BatchMode=yes';
  }
  return { env, redact: (text) => redactText(text, hidden) };
}

/** `https://user:secret@host/x` → `https://***@host/x`; every hidden value → `[redacted]`. */
export function redactText(text: string, hidden: readonly string[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
  for (const h of hidden) if (h.length >= 4) out = out.split(h).join('[redacted]');
  return out;
}
