/**
 * The `start` part: how long the `slipway` command takes to start, as users run it (the
 * bundled build, bench/slipway-cli.ts), beside what Node itself takes for the same (the
 * reference, measured in turn with each sample):
 * - `slipway server` on an empty data directory, from spawn to its "listening on" line, and the
 *   CPU seconds it spent by then (/proc), against a bare Node HTTP server doing the same;
 * - `slipway --version`, from spawn to exit, against `node -e` printing a version.
 * Every CLI call and every replica a supervisor starts pays the first; the tests and the
 * bench's other parts pay it for each server they start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sampleProc } from './proc-sample.js';
import { benchCli } from './slipway-cli.js';
import { median, round } from './stats.js';

export interface StartPlan {
  /** Samples of each command; the figures are their medians. */
  samples: number;
}

export interface StartResult {
  samples: number;
  serverListenMs: number;
  serverCpuMs: number;
  nodeListenMs: number;
  nodeListenCpuMs: number;
  cliMs: number;
  nodeExitMs: number;
}

const LISTEN_TIMEOUT_MS = 30_000;
const NODE_SERVER = "const s = require('node:http').createServer(); s.listen(0, '127.0.0.1', () => process.stderr.write('listening on http://127.0.0.1:' + s.address().port + '\\n'));";

/** Spawns `args`, waits for a "listening on" line on stderr, and stops the process: wall ms and the CPU ms it had spent by then. */
async function untilListening(what: string, args: string[]): Promise<{ ms: number; cpuMs: number }> {
  const started = performance.now();
  const proc = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', SLIPWAY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  try {
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`start: ${what} did not say it listens in ${LISTEN_TIMEOUT_MS / 1000} s:\n${err}`)), LISTEN_TIMEOUT_MS);
      proc.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`start: ${what} exited (code ${code}) before it listened:\n${err}`));
      });
      proc.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-10_000);
        if (!err.includes('listening on')) return;
        const ms = performance.now() - started;
        const cpuMs = sampleProc(proc.pid!).cpuS * 1000;
        clearTimeout(t);
        resolve({ ms, cpuMs });
      });
    });
  } finally {
    const exited = new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
    proc.kill('SIGKILL');
    await exited;
  }
}

/** Spawns `args` and waits for its exit (code 0): wall ms. */
async function untilExit(what: string, args: string[]): Promise<number> {
  const started = performance.now();
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-10_000)));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`start: ${what} exited with code ${code}:\n${err}`);
  return performance.now() - started;
}

export async function runStartBench(root: string, plan: StartPlan, progress: (line: string) => void): Promise<StartResult> {
  const cli = benchCli();
  progress(`start: slipway server on an empty data directory, and slipway --version, ${plan.samples} time(s) each beside bare Node doing the same …`);
  const server: { ms: number; cpuMs: number }[] = [];
  const node: { ms: number; cpuMs: number }[] = [];
  const cliMs: number[] = [];
  const nodeExitMs: number[] = [];
  for (let i = 0; i < plan.samples; i++) {
    const data = mkdtempSync(join(root, 'start-'));
    try {
      server.push(await untilListening('slipway server', [cli, 'server', '--port', '0', '--data', data]));
    } finally {
      rmSync(data, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
    node.push(await untilListening('a bare Node HTTP server', ['-e', NODE_SERVER]));
    cliMs.push(await untilExit('slipway --version', [cli, '--version']));
    nodeExitMs.push(await untilExit('node -e', ['-e', "process.stdout.write('0.0.0\\n')"]));
  }
  const r: StartResult = {
    samples: plan.samples,
    serverListenMs: round(median(server.map((s) => s.ms)), 1),
    serverCpuMs: round(median(server.map((s) => s.cpuMs)), 0),
    nodeListenMs: round(median(node.map((s) => s.ms)), 1),
    nodeListenCpuMs: round(median(node.map((s) => s.cpuMs)), 0),
    cliMs: round(median(cliMs), 1),
    nodeExitMs: round(median(nodeExitMs), 1),
  };
  progress(`  server listened after ${r.serverListenMs} ms (${r.serverCpuMs} CPU ms; bare Node ${r.nodeListenMs} ms, ${r.nodeListenCpuMs} CPU ms); slipway --version ${r.cliMs} ms (node -e ${r.nodeExitMs} ms)`);
  return r;
}

export function startFiguresOf(r: StartResult): Record<string, number> {
  return {
    'start.server_listen_ms': r.serverListenMs,
    'start.server_cpu_ms': r.serverCpuMs,
    'start.node_listen_ms': r.nodeListenMs,
    'start.node_listen_cpu_ms': r.nodeListenCpuMs,
    'start.cli_ms': r.cliMs,
    'start.node_exit_ms': r.nodeExitMs,
  };
}
