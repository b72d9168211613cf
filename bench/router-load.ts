/**
 * The moving parts of the router bench that run outside this process: the backend (plain
 * node:http, keep-alive, a small body), the load generator (autocannon's CLI in its own
 * process, so it does not share an event loop with the router under test), and CPU time read
 * from /proc for a process by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BACKEND = `
const http = require('node:http');
const body = Buffer.from('hello from the slipway bench backend\\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

export interface Child {
  proc: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export function stopChild(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

export function startBackend(): Promise<Child> {
  const proc = spawn(process.execPath, ['-e', BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`the bench backend exited with ${code} before listening`)));
    proc.stdout!.once('data', (d: Buffer) => resolve({ proc, port: Number(d.toString().trim()), stop: () => stopChild(proc) }));
  });
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Load {
  connections: number;
  seconds: number;
  /** Total requests per second over all connections (paced); unset = as fast as answers come. */
  rate?: number;
}

export interface LoadResult {
  rps: number;
  requests: number;
  /** autocannon measures latency in whole ms; the paced generator in fractions of one. */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

interface AutocannonJson {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

const autocannonBin = createRequire(import.meta.url).resolve('autocannon');

/** Runs autocannon against `url` in a child process and reads its JSON result. */
export async function autocannon(url: string, load: Load): Promise<LoadResult> {
  const args = [autocannonBin, '-j', '-c', String(load.connections), '-d', String(load.seconds)];
  const j = await runJson<AutocannonJson>([...args, url], 'autocannon');
  return {
    rps: j.requests.total / j.duration,
    requests: j.requests.total,
    p50Ms: j.latency.p50,
    p99Ms: j.latency.p99,
    errors: j.errors + j.timeouts,
    non2xx: j.non2xx,
  };
}

const here = fileURLToPath(import.meta.url);
// The sibling script, compiled (.js) or run through tsx (.ts, whose loader comes along in execArgv).
const pacedScript = join(dirname(here), `router-paced${extname(here)}`);

function runJson<T>(args: string[], what: string): Promise<T> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${what} exited with ${code}: ${err.trim()}`))));
  });
}

/** Paced load with µs latencies (bench/router-paced.ts) in a child process. */
export function pacedLoad(url: string, load: Load & { rate: number }, warmupSeconds: number): Promise<LoadResult> {
  const args = [...process.execArgv, pacedScript, url, String(load.connections), String(load.rate), String(load.seconds), String(warmupSeconds)];
  return runJson<LoadResult>(args, 'the paced load generator');
}

/** CPU seconds (user + system) a process has used so far; undefined where /proc cannot tell. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
