/**
 * Credentials of git-tag: a real smart-HTTP git server (Debian's `git http-backend` behind a
 * node HTTP server on 127.0.0.1) that demands a token. The token property reaches git only
 * through the environment, the push succeeds with it, and neither the token nor a password in
 * the URL ever appears in the task's message, output or log, even when the push is refused.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitTagExecutor, mockExecutorContext } from '../../src/executors/index.js';
import { finished } from './helpers.js';

const TOKEN = 'ghp_s3cretTokenValue1234567890';
const executor = createGitTagExecutor();
let root: string;
let server: Server;
let base: string;
let commit: string;
const seen: { auth: string | undefined; url: string }[] = [];

const gitIn = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slipway-gittag-http-'));
  gitIn(root, 'init', '--bare', '--quiet', join(root, 'repo.git'));
  gitIn(root, 'clone', '--quiet', join(root, 'repo.git'), join(root, 'work'));
  writeFileSync(join(root, 'work', 'a.txt'), 'a\n');
  gitIn(join(root, 'work'), 'add', '.');
  gitIn(join(root, 'work'), 'commit', '--quiet', '-m', 'one');
  gitIn(join(root, 'work'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  commit = gitIn(join(root, 'work'), 'rev-parse', 'HEAD');
  const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
  server = createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, url: req.url ?? '' });
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('no');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('/usr/lib/git-core/git-http-backend', [], {
      env: {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (c: Buffer) => chunks.push(c));
    cgi.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const headers = all.subarray(0, end).toString().split('\r\n');
      let status = 200;
      for (const h of headers) {
        const [k, ...v] = h.split(': ');
        if (k === 'Status') status = Number(v.join(': ').slice(0, 3));
        else if (k) res.setHeader(k, v.join(': '));
      }
      res.writeHead(status).end(all.subarray(end + 4));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

function ctxWith(properties: Record<string, unknown>) {
  return mockExecutorContext({ task: { name: 'git-tag', kind: 'git-tag', properties }, run: { provenance: { commit } } });
}

describe('git-tag credentials', () => {
  it('pushes over https with the token, which shows nowhere in what the task reports', async () => {
    const ctx = ctxWith({ repository: `${base}/repo.git`, token: TOKEN });
    const out = finished(await executor.execute(ctx));
    expect(out.result).toBe('pass');
    expect(gitIn(join(root, 'repo.git'), 'rev-parse', 'refs/tags/env/dev^{commit}')).toBe(commit);
    expect(seen.some((s) => s.url.includes('git-receive-pack') && s.auth !== undefined)).toBe(true);
    const everything = JSON.stringify([out, ctx.logs]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    ctx.dispose();
  });

  it('a refused token fails the task with git’s reason and without the token or the URL’s password', async () => {
    const wrong = `${TOKEN}-wrong`;
    const ctx = ctxWith({ repository: `http://deploy:hunter2pass@${base.slice('http://'.length)}/repo.git`, token: wrong });
    const err = (await executor.execute(ctx).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/git fetch|Authentication|401|could not read/i);
    const everything = JSON.stringify([err.message, ctx.logs]);
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain('hunter2pass');
    ctx.dispose();
  });
});
