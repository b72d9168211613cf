/**
 * The moving parts of the router bench that run outside this process: the backend (plain
 * node:http, keep-alive, a small body), the load generator (bench/router-loadgen.ts, in its own
 * process, so it does not share an event loop with the router under test), and CPU time read
 * from /proc for a process by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
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

/** One measurement for the load generator process (bench/router-loadgen.ts). */
export interface GenCommand {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Paced at this many requests per second in all; unset = saturated (autocannon). */
  rate?: number;
}

const here = fileURLToPath(import.meta.url);
// The sibling script, compiled (.js) or run through tsx (.ts, whose loader comes along in execArgv).
const loadgenScript = join(dirname(here), `router-loadgen${extname(here)}`);

/**
 * The router bench's load generator: one child process for the whole part, given one
 * measurement at a time. `run` calls `onMeasuring` when the counted part starts (after a
 * saturated run's warm-up; at once for a paced run, whose CPU is counted over its warm-up too).
 */
export class LoadGenerator {
  private readonly proc: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  private err = '';

  constructor() {
    this.proc = spawn(process.execPath, [...process.execArgv, loadgenScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.proc.stdout! })[Symbol.asyncIterator]();
  }

  async run(c: GenCommand, onMeasuring: () => void): Promise<LoadResult> {
    this.proc.stdin!.write(`${JSON.stringify(c)}\n`);
    if (c.rate !== undefined) onMeasuring();
    for (;;) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`the load generator exited (${this.proc.exitCode ?? this.proc.signalCode}) before answering: ${this.err.trim()}`);
      const m = JSON.parse(next.value) as { measuring?: true; result?: LoadResult; error?: string };
      if (m.measuring) onMeasuring();
      else if (m.error !== undefined) throw new Error(`the load generator failed: ${m.error}`);
      else if (m.result) return m.result;
    }
  }

  stop(): Promise<void> {
    this.proc.stdin!.end();
    return stopChild(this.proc);
  }
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
