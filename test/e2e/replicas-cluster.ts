/**
 * Several real `slipway server` replicas on one PostgreSQL database, for replicas*.test.ts:
 * each its own process, data directory and --replica-id, on ports chosen at run time. The
 * pipeline's shell tasks write their effect into a ledger at most once per task id (as
 * docs/executors.md tells users to, and as the fault harness does), and note every start.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { slipway, type Child } from './support/slipway-process.js';

export const ADMIN = 'slw_replicas-admin-token-0123456789abcdef';
export const PROJECT = 'rep';

export interface Replica {
  name: string;
  url: string;
  child: Child;
}

export interface ReplicaStatus {
  replica: { id: string; role: string; url: string | null };
  active: { id: string; url: string | null; epoch: number; expiresAt: string | null; acquiredAt: string | null } | null;
  leaseMs: number | null;
  store: string;
}

const EFFECT = `#!/bin/sh
d=$(dirname "$0")
echo "$SLIPWAY_TASK_ID" >> "$d/starts"
sleep "$1"
flock "$d/ledger.lock" sh -c 'grep -qxF "$SLIPWAY_TASK_ID" "$0/ledger" 2>/dev/null || echo "$SLIPWAY_TASK_ID" >> "$0/ledger"' "$d"
`;

/** Writes effect.sh and pipeline.yaml: stages dev then prod, one ledger task each taking `devSecs` / `prodSecs`. */
export async function writeProject(dir: string, devSecs: number, prodSecs: number): Promise<void> {
  await writeFile(join(dir, 'effect.sh'), EFFECT, { mode: 0o755 });
  await writeFile(join(dir, 'ledger'), '');
  const stage = (name: string, secs: number) => `    - name: ${name}
      tasks:
        - {name: work, kind: shell, properties: {run: 'sh ${join(dir, 'effect.sh')} ${secs}'}}`;
  await writeFile(
    join(dir, 'pipeline.yaml'),
    `apiVersion: slipway/v1
kind: Pipeline
metadata: {name: ${PROJECT}}
spec:
  services: [web]
  stages:
${stage('dev', devSecs)}
${stage('prod', prodSecs)}
`,
  );
}

export async function startReplica(dir: string, name: string, store: string, leaseMs: number, env: Record<string, string> = {}): Promise<Replica> {
  const child = slipway(['server', '--port', '0', '--data', `data-${name}`, '--store', store, '--replica-id', name, '--lease-ms', String(leaseMs), 'pipeline.yaml'], dir, {
    SLIPWAY_ADMIN_TOKEN: ADMIN,
    SLIPWAY_LOG_LEVEL: 'info',
    ...env,
  });
  const exited = child.exited.then(({ code, signal }) => {
    throw new Error(`replica ${name} exited (${code ?? signal}) before listening:\n${child.stderr()}`);
  });
  exited.catch(() => undefined);
  // Not listening in time: killed, not left running after the test.
  const line = await Promise.race([child.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 30_000), exited]).catch((e: unknown) => {
    child.proc.kill('SIGKILL');
    throw e;
  });
  return { name, url: /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!, child };
}

/** Stops a replica (SIGTERM, or SIGKILL if it has not exited in 25 s); answers its exit code. */
export async function stopReplica(r: Replica): Promise<number | null> {
  if (r.child.proc.exitCode !== null || r.child.proc.signalCode !== null) return r.child.proc.exitCode;
  r.child.proc.kill('SIGCONT');
  r.child.proc.kill('SIGTERM');
  const kill = setTimeout(() => r.child.proc.kill('SIGKILL'), 25_000);
  const { code } = await r.child.exited;
  clearTimeout(kill);
  return code;
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer<T>> {
  const r = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ADMIN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T, headers: r.headers };
}

export async function api<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const a = await call<T>(url, path, init);
  if (a.status >= 300) throw new Error(`${path} on ${url}: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000, logs: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The replica every live one names active (the status route on each), once they agree. */
export async function activeReplica(replicas: readonly Replica[], ms = 60_000): Promise<Replica> {
  const live = () => replicas.filter((r) => r.child.proc.exitCode === null && r.child.proc.signalCode === null);
  return until(
    'one active replica that the others name',
    async () => {
      const seen = await Promise.all(live().map((r) => api<ReplicaStatus>(r.url, '/api/v1/system/replicas')));
      const actives = seen.filter((s) => s.replica.role === 'active');
      if (actives.length !== 1 || !seen.every((s) => s.active?.id === actives[0]!.replica.id)) return undefined;
      return replicas.find((r) => r.name === actives[0]!.replica.id);
    },
    ms,
    () => replicas.map((r) => `--- ${r.name}\n${r.child.stderr().slice(-4000)}`).join('\n'),
  );
}

export interface RunRow {
  id: string;
  stage: string;
  state: string;
  releaseId: string;
}

/** Runs of the project (through any replica), once `n` of them have succeeded. */
export async function allSucceeded(replicas: readonly Replica[], n: number, ms = 90_000): Promise<RunRow[]> {
  let i = 0;
  return until(
    `${n} runs to succeed`,
    async () => {
      const live = replicas.filter((r) => r.child.proc.exitCode === null && r.child.proc.signalCode === null);
      const r = live[i++ % live.length]!;
      const { runs } = await api<{ runs: RunRow[] }>(r.url, `/api/v1/runs?project=${PROJECT}&limit=500`);
      return runs.filter((x) => x.state === 'succeeded').length >= n ? runs : undefined;
    },
    ms,
    () => replicas.map((r) => `--- ${r.name}\n${r.child.stderr().slice(-4000)}`).join('\n'),
  );
}

/** Task ids and how often each is in a file of the project dir (ledger: effects; starts: commands started). */
export async function countLines(dir: string, file: 'ledger' | 'starts'): Promise<Map<string, number>> {
  const text = await readFile(join(dir, file), 'utf8').catch(() => '');
  const m = new Map<string, number>();
  for (const id of text.split('\n').filter(Boolean)) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

export interface LogCheck {
  /** `<task id> attempt <n>` with more than one `.finished` event. */
  finishedTwice: string[];
  /** Runs with more than one `run.finished` event. */
  runFinishedTwice: string[];
  /** Task ids that finished with pass. */
  passed: Set<string>;
  /** Events per type. */
  types: Record<string, number>;
}

/** Reads the event log straight from PostgreSQL: was anything advanced twice? */
export async function checkLog(url: string): Promise<LogCheck> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const twice = await client.query<{ k: string }>(`
      select (body::json ->> 'taskid') || ' attempt ' || coalesce(body::json -> 'data' ->> 'attempt', '?') as k
      from events where type like 'sh.slipway.task.%.finished' group by 1 having count(*) > 1`);
    const runs = await client.query<{ run_id: string }>(`select run_id from events where type = 'sh.slipway.run.finished' group by run_id having count(*) > 1`);
    const passed = await client.query<{ id: string }>(`select body::json ->> 'taskid' as id from events where type like 'sh.slipway.task.%.finished' and body::json -> 'data' ->> 'result' = 'pass'`);
    const types = await client.query<{ type: string; n: number }>(`select type, count(*)::int as n from events group by type`);
    return {
      finishedTwice: twice.rows.map((r) => r.k),
      runFinishedTwice: runs.rows.map((r) => r.run_id),
      passed: new Set(passed.rows.map((r) => r.id)),
      types: Object.fromEntries(types.rows.map((r) => [r.type, r.n])),
    };
  } finally {
    await client.end();
  }
}
