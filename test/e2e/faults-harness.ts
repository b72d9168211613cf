/**
 * The fault harness: a real `slipway server` on a SQLite data directory, killed with SIGKILL
 * at seeded random moments while releases go through a three-stage pipeline, and started
 * again on the same directory until every run has ended. What it measures is in
 * faults.test.ts's header; this file drives the processes and counts.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { releaseIdOf, taskId, type Run } from '../../src/core/index.js';
import { sha256 } from '../../src/engine/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { BIN } from './support/slipway-process.js';

export const ADMIN = 'slw_faults-admin-token-0123456789abcdef';
export const PROJECT = 'faults';
export const STAGES = ['build', 'verify', 'ship'] as const;

export interface FaultOptions {
  dir: string;
  releases: number;
  /** Releases are spread over this many services: runs of different services go at once. */
  services: number;
  seed: number;
  /** Kills to make at least (fewer if everything ends first). */
  kills: number;
  /** Kills to make at most; after them the server is left to finish. */
  maxKills: number;
  /** A server lives up to this long (after it listens) before it is killed. */
  maxUpMs: number;
  /** Gives up when everything has not ended by then. */
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface FaultFigures {
  seed: number;
  releases: number;
  /** Runs expected: releases × stages. */
  runs: number;
  runsSucceeded: number;
  runsNotSucceeded: number;
  kills: number;
  /** Kills that landed before the server listened (during its start and recovery). */
  killsDuringStart: number;
  /** Finished tasks whose effect is missing from the ledger. */
  lost: number;
  /** Finished tasks whose effect is in the ledger more than once. */
  doubled: number;
  /** Task ids whose command was started more than once (the per-id guard kept the effect single). */
  startedTwice: number;
  /** Ledger entries of task ids that never finished with pass. */
  strayEffects: number;
  integrity: string;
  seconds: number;
}

/** mulberry32: a small seeded generator, so a failing schedule can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The task's effect, written as docs/executors.md tells users to act once per task id: the
 * id goes into the ledger unless the ledger has it, under a lock, so a command started twice
 * for one id (a crash between starting it and recording its pid) still has one effect.
 * Every start is noted in `starts`, so the harness can tell how often the guard was needed.
 */
const EFFECT = `#!/bin/sh
d=$(dirname "$0")
echo "$SLIPWAY_TASK_ID" >> "$d/starts"
sleep "$1"
flock "$d/ledger.lock" sh -c 'grep -qxF "$SLIPWAY_TASK_ID" "$0/ledger" 2>/dev/null || echo "$SLIPWAY_TASK_ID" >> "$0/ledger"' "$d"
`;

/** Writes effect.sh and the three-stage pipeline (`file`) into `dir`; faults-replicas.test.ts uses it too. */
export async function writeFaultsProject(dir: string, services: number, file = 'faults.yaml'): Promise<void> {
  await writeFile(join(dir, 'effect.sh'), EFFECT, { mode: 0o755 });
  await writeFile(join(dir, file), pipelineYaml(dir, services));
}

function pipelineYaml(dir: string, services: number): string {
  const names = Array.from({ length: services }, (_, i) => `s${i}`);
  const stage = (name: string, secs: string) => `    - name: ${name}
      tasks:
        - {name: ledger, kind: shell, properties: {run: 'sh ${join(dir, 'effect.sh')} ${secs}'}}`;
  return `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${PROJECT}}
spec:
  services: [${names.join(', ')}]
  stages:
${[stage(STAGES[0], '0.1'), stage(STAGES[1], '0.3'), stage(STAGES[2], '0.2')].join('\n')}
`;
}

interface Server {
  proc: ChildProcess;
  /** The URL once it listens; undefined when it died first. */
  listening: Promise<string | undefined>;
  exited: Promise<void>;
  stderr: () => string;
}

function spawnServer(dir: string): Server {
  const proc = spawn(process.execPath, [BIN, 'server', 'faults.yaml', '--port', '0', '--data', 'data'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const listening = new Promise<string | undefined>((resolve) => {
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    void exited.then(() => resolve(undefined));
  });
  return { proc, listening, exited, stderr: () => err.slice(-4000) };
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function runFaults(o: FaultOptions): Promise<FaultFigures> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const rng = seeded(o.seed);
  await mkdir(join(o.dir, 'data'), { recursive: true });
  await writeFaultsProject(o.dir, o.services);

  let url: string | undefined;
  let finished = false;
  const artifactsOf = (i: number) => ({ [`s${i % o.services}`]: `s${i % o.services}:${i}` });

  /** Hands release i to whichever server is up, once: a retry first asks whether the last try got through. */
  async function post(i: number): Promise<void> {
    const artifacts = artifactsOf(i);
    const id = releaseIdOf(PROJECT, artifacts, sha256);
    let tried = false;
    while (!finished) {
      const at = url;
      if (at === undefined) {
        await sleep(50);
        continue;
      }
      try {
        if (tried && (await call(at, 'GET', `/api/v1/projects/${PROJECT}/releases/${id}`)).status === 200) return;
        tried = true;
        const r = await call(at, 'POST', `/api/v1/projects/${PROJECT}/releases`, { artifacts });
        if (r.status === 201) return;
        log(`release ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      } catch {
        // The server died under the request; the next one is asked.
      }
      await sleep(100);
    }
  }

  let next = 0;
  const posters = Array.from({ length: 4 }, async () => {
    while (next < o.releases) await post(next++);
  });

  /** How many ship runs succeeded, and whether any run ended otherwise. */
  async function progress(at: string): Promise<{ done: number; bad: number }> {
    const count = async (q: string) => {
      const r = await call(at, 'GET', `/api/v1/runs?project=${PROJECT}&limit=500&${q}`);
      return r.status === 200 ? (r.body as { runs: unknown[] }).runs.length : -1;
    };
    const done = await count(`stage=${STAGES[2]}&state=succeeded`);
    const bad = (await count('state=failed')) + (await count('state=aborted'));
    return { done, bad };
  }

  let kills = 0;
  let killsDuringStart = 0;
  let lastStderr = '';
  while (!finished) {
    if (Date.now() - started > o.deadlineMs) throw new Error(`not finished after ${o.deadlineMs} ms (seed ${o.seed}, ${kills} kills); last server's stderr:\n${lastStderr}`);
    const server = spawnServer(o.dir);
    const killing = kills < o.maxKills;
    // A quarter of the kills land early, while the server starts and recovers what the last one left.
    const early = killing && rng() < 0.25;
    const upMs = early ? rng() * 1500 : 300 + rng() * (o.maxUpMs - 300);
    let listened = false;
    if (early) {
      const t = setTimeout(() => server.proc.kill('SIGKILL'), upMs);
      const u = await server.listening;
      clearTimeout(t);
      if (u !== undefined) {
        listened = true;
        url = u;
        // It got up in time: kill it at once, mid-work.
        server.proc.kill('SIGKILL');
      }
    } else {
      const u = await server.listening;
      if (u === undefined) throw new Error(`the server exited by itself:\n${server.stderr()}`);
      listened = true;
      url = u;
      const until = Date.now() + upMs;
      while (killing ? Date.now() < until : !finished) {
        await sleep(killing ? Math.min(200, Math.max(0, until - Date.now())) : 250);
        const p = await progress(u).catch(() => ({ done: -1, bad: 0 }));
        if (p.bad > 0) throw new Error(`${p.bad} runs failed or were aborted (seed ${o.seed}); server stderr:\n${server.stderr()}`);
        // The first `kills` kills happen even when everything ended: a kill after the work is a case too.
        if (p.done === o.releases && next >= o.releases && kills >= o.kills) finished = true;
        if (finished) break;
      }
      if (!finished) server.proc.kill('SIGKILL');
    }
    lastStderr = server.stderr();
    if (finished) {
      server.proc.kill('SIGTERM');
      await server.exited;
      break;
    }
    await server.exited;
    url = undefined;
    kills++;
    if (!listened) killsDuringStart++;
    log(`kill ${kills}: after ${Math.round(upMs)} ms${listened ? '' : ' (before it listened)'}`);
  }
  await Promise.all(posters);
  const figures = await tally(o, kills, killsDuringStart);
  figures.seconds = Math.round((Date.now() - started) / 100) / 10;
  return figures;
}

/** Reads the stopped server's store and the ledger. */
async function tally(o: FaultOptions, kills: number, killsDuringStart: number): Promise<FaultFigures> {
  const file = join(o.dir, 'data', 'slipway.db');
  const db = new Database(file, { readonly: true });
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  db.close();
  const store = await openSqliteStore({ file, migrate: false });
  const runs = await store.listRuns({ project: PROJECT, limit: 100_000 });
  await store.close();
  return { seed: o.seed, releases: o.releases, runs: o.releases * STAGES.length, ...(await effectFigures(o.dir, runs)), kills, killsDuringStart, integrity, seconds: 0 };
}

export type EffectFigures = Pick<FaultFigures, 'runsSucceeded' | 'runsNotSucceeded' | 'lost' | 'doubled' | 'startedTwice' | 'strayEffects'>;

/** Compares the stored runs' passed tasks with the ledger and the starts in `dir` (definitions in faults.test.ts's header). */
export async function effectFigures(dir: string, runs: readonly Run[]): Promise<EffectFigures> {
  const passed = new Set<string>();
  for (const r of runs) for (const t of r.tasks) if (t.result === 'pass' && t.state === 'finished') passed.add(taskId(r.id, t.name, t.attempt));
  const counts = async (name: string) => {
    const m = new Map<string, number>();
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    for (const id of text.split('\n').filter(Boolean)) m.set(id, (m.get(id) ?? 0) + 1);
    return m;
  };
  const ledger = await counts('ledger');
  const starts = await counts('starts');
  const succeeded = runs.filter((r) => r.state === 'succeeded').length;
  return {
    runsSucceeded: succeeded,
    runsNotSucceeded: runs.length - succeeded,
    lost: [...passed].filter((id) => !ledger.has(id)).length,
    doubled: [...passed].filter((id) => (ledger.get(id) ?? 0) > 1).length,
    startedTwice: [...starts.values()].filter((n) => n > 1).length,
    strayEffects: [...ledger.keys()].filter((id) => !passed.has(id)).length,
  };
}
