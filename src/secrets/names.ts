/**
 * Secret names: upper-case letters, digits and `_`, starting with a letter, so that each
 * name maps one to one onto an environment variable `SLIPWAY_SECRET_<NAME>`. `KEY` is
 * taken: SLIPWAY_SECRET_KEY is the encryption key, not a secret.
 */
import { SlipwayError } from '../core/index.js';

export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
export const SECRET_NAME_HELP = "1-64 characters: upper-case letters, digits and '_', starting with a letter (e.g. API_TOKEN)";
export const ENV_PREFIX = 'SLIPWAY_SECRET_';
export const KEY_VARIABLE = 'SLIPWAY_SECRET_KEY';

/** Why `name` cannot name a secret, or undefined when it can. */
export function secretNameProblem(name: string): string | undefined {
  if (!SECRET_NAME.test(name)) return `'${name.length > 70 ? `${name.slice(0, 67)}...` : name}' is not a secret name; use ${SECRET_NAME_HELP}`;
  if (`${ENV_PREFIX}${name}` === KEY_VARIABLE) return `'${name}' is reserved: ${KEY_VARIABLE} holds the encryption key of stored secrets`;
  return undefined;
}

export function checkSecretName(name: string, field = 'name'): string {
  const problem = secretNameProblem(name);
  if (problem) throw new SlipwayError('INVALID_INPUT', problem, { field });
  return name;
}

/** Secrets given in the environment: `SLIPWAY_SECRET_<NAME>=value` (empty values are ignored). */
export function environmentSecrets(env: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || variable === KEY_VARIABLE || !value) continue;
    const name = variable.slice(ENV_PREFIX.length);
    if (secretNameProblem(name) === undefined) out.set(name, value);
  }
  return out;
}
