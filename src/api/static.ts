/**
 * The dashboard: the files Vite built into `dist/web`, served at `/`. Only files found in
 * that folder when the server starts are served (a fixed set, so no request path can
 * reach outside it); client routes (`/projects/shop`, `/runs/…`) get index.html, which
 * the browser app then routes; anything else, `/api/…` included, stays a 404 in the
 * API's shape. Hashed files under `assets/` never change, so browsers keep them for a
 * year; index.html is revalidated each time so a new build shows at once.
 */
import { SlipwayError } from '../core/errors.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { Api } from './types.js';

/** First segments of the dashboard's own routes (web/src/router.ts): these answer with index.html. */
export const CLIENT_ROUTES = ['projects', 'runs', 'approvals', 'insights', 'audit', 'signin', 'system'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Where the built dashboard is: beside the compiled server (dist/api → dist/web), or dist/web when running from src. */
export function findWebRoot(): string | undefined {
  for (const rel of ['../web', '../../dist/web']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

function listFiles(root: string, dir = root, out = new Set<string>()): Set<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(root, path, out);
    else out.add(relative(root, path).split(sep).join('/'));
  }
  return out;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Slipway</title></head>
<body><h1>Slipway</h1><p>The dashboard is not built here: run <code>npm run build</code> (it writes <code>dist/web</code>), then start the server again.
The API is at <a href="/api/v1/docs">/api/v1/docs</a>.</p></body></html>`;

export async function webRoutes(app: Api, webRoot: string | null | undefined): Promise<void> {
  const root = webRoot === undefined ? findWebRoot() : (webRoot ?? undefined);
  const files = root ? listFiles(root) : new Set<string>();
  if (root) await app.register(fastifyStatic, { root, serve: false, decorateReply: true });

  app.get('/', {
    config: { scope: 'none' },
    schema: { hide: true },
    handler: async (req, reply) => (originForm(req.raw.url) ? serve(reply, 'index.html') : refuse(req.raw.url)),
  });
  app.get('/*', {
    config: { scope: 'none' },
    schema: { hide: true },
    handler: async (req, reply) => {
      if (!originForm(req.raw.url)) return refuse(req.raw.url);
      const path = (req.params as { '*': string })['*'];
      if (files.has(path)) return serve(reply, path);
      const first = path.split('/')[0] ?? '';
      if ((CLIENT_ROUTES as readonly string[]).includes(first)) return serve(reply, 'index.html');
      return reply.callNotFound();
    },
  });

  // `GET *` (asterisk form) reached the file routes and was answered with index.html; a fuzzed
  // `GET * HTTP/1.0` with an Upgrade header then got no response at all. Files are only for paths.
  function originForm(url: string | undefined): boolean {
    return url !== undefined && url.startsWith('/');
  }
  function refuse(url: string | undefined): never {
    throw new SlipwayError('INVALID_INPUT', `request target ${JSON.stringify(url ?? '')} is not a path; the dashboard's files are at paths starting with /`, { field: 'url' });
  }

  function serve(reply: FastifyReply, path: string) {
    if (!root || !files.has('index.html')) return reply.type('text/html; charset=utf-8').header('cache-control', REVALIDATE).send(NOT_BUILT);
    reply.header('cache-control', path.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
    return reply.sendFile(path, root, { cacheControl: false });
  }
}
