/**
 * The reference: Debian's nginx proxying the same backend, one worker process, keep-alive to
 * the upstream, headers set like the router sets them, its config, logs and pid in a temp dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, stopChild, type Child } from './router-load.js';

/** nginx's version (`nginx/1.22.1`), or undefined when it is not installed. */
export function nginxVersion(): string | undefined {
  // nginx -v prints to stderr.
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /nginx\/[\w.]+/.exec(`${r.stderr}${r.stdout}`)?.[0] ?? 'nginx';
}

function config(prefix: string, port: number, upstreamPort: number): string {
  const p = (name: string) => join(prefix, name);
  return `worker_processes 1;
pid ${p('nginx.pid')};
error_log ${p('logs/error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${p('tmp/body')};
  proxy_temp_path ${p('tmp/proxy')};
  fastcgi_temp_path ${p('tmp/fastcgi')};
  uwsgi_temp_path ${p('tmp/uwsgi')};
  scgi_temp_path ${p('tmp/scgi')};
  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  # Like the router (and node:http): no cap on requests per client connection.
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The pid of nginx's one worker (a child of the master), to read its CPU time. */
export function workerPid(masterPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').trim().split(/\s+/);
    return children[0] ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts nginx in front of 127.0.0.1:`upstreamPort` with everything under `prefix`. */
export async function startNginx(prefix: string, upstreamPort: number): Promise<Child> {
  // The worker runs as nginx's unprivileged user; it must reach the temp dirs under prefix.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, config(prefix, port, upstreamPort));
  const proc = spawn('nginx', ['-c', conf, '-p', prefix, '-e', join(prefix, 'logs/error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 5000;
  while (!(await accepts(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stopChild(proc);
      throw new Error(`nginx did not start on port ${port}: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, port, stop: () => stopChild(proc) };
}
