/**
 * The server's own environment variables, never inherited by what it starts (shell and git
 * tasks, apps on the local platform): its credentials (SLIPWAY_ADMIN_TOKEN, SLIPWAY_TOKEN,
 * SLIPWAY_SECRET_*) and its configuration, which can hold one too
 * (SLIPWAY_STORE=postgres://user:password@…). A child's SLIPWAY_* variables are only the ones
 * Slipway sets for it (a task's run and artifacts, an app's instance id).
 */
export function isServerVariable(name: string): boolean {
  return name.startsWith('SLIPWAY_');
}

/** `env` without the server's own variables. */
export function withoutServerVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isServerVariable(name)));
}
