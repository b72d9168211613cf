/**
 * The esbuild options both bundles share: the `slipway` command's (scripts/bundle.js, what
 * bin/slipway.js runs) and the bench's (scripts/build-bench.js).
 */

/**
 * Left outside the bundle, each for a reason; everything else is bundled. A package left
 * outside loads from node_modules as before. None of them hands objects to a bundled copy of a
 * package it shares (which would break `instanceof`): their own dependencies load beside them.
 */
export const EXTERNAL = [
  'better-sqlite3', // a native addon (.node file)
  'pg-native', // pg's optional native binding, not installed
  'pino', // starts its transports' worker threads from files beside itself
  'thread-stream',
  'autocannon', // the loadtest executor: workers and help.txt found beside itself
  '@fastify/static', // serves files found relative to its own package
  '@fastify/swagger', // reads its package.json beside itself
  '@fastify/swagger-ui', // serves its static folder beside itself
  'tsx', // only when running from the TypeScript sources (tests); never from dist
];

/** Node ES modules, split into chunks, names kept, source maps linked. */
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Code an entry imports only when it needs it (the server, for one) goes into chunks of
  // its own, so `slipway status` does not load the server.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  target: 'node20',
  external: EXTERNAL.flatMap((p) => [p, `${p}/*`]),
  // Bundled CommonJS packages call require(); in an ES module it has to be made.
  banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
  // Class and function names stay as written (errors and logs show them).
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};
