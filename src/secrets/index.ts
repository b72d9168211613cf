/**
 * Secrets by reference: `${secret:NAME}` in task properties, values from the server's
 * environment (`SLIPWAY_SECRET_<NAME>`) or sealed in the store, resolved only for the
 * executor that runs the task, redacted from everything it reports and from every log.
 * This file is the folder's only public door.
 */
export { Secrets, type SecretInfo, type SecretsOptions } from './secrets.js';
export { ENV_PREFIX, KEY_VARIABLE, SECRET_NAME, SECRET_NAME_HELP, checkSecretName, secretNameProblem } from './names.js';
export { KEY_FILE, keyFile } from './key.js';
export { seal, unseal, keyIdOf, type Sealed } from './cipher.js';
export { REFERENCE, hasReference, references, substitute, type Reference } from './references.js';
export { MIN_REDACTED, Redactor, knownSecrets, redactTokenParams, secretLogHooks } from './redactor.js';
