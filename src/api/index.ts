/** The api folder's only public door. */
export { buildServer } from './server.js';
export { startServer, type ServerOptions, type RunningServer } from './start.js';
export { verifySignature, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './push/signature.js';
export { allows } from './auth/scopes.js';
export type { RouteEntry } from './auth/guard.js';
export type { ApiDeps, PushOptions, RouteScope } from './types.js';
