#!/usr/bin/env node
// A standalone outside executor for Slipway: it claims tasks of one kind (default `test`)
// from a Slipway server, runs a command for each, keeps its lease alive while the command
// runs, and reports the result as a CloudEvent. No dependencies beyond Node.js 20.
//
//   SLIPWAY_TOKEN=<token with scope execute or execute:test> node examples/executor/executor.mjs \
//     --server http://127.0.0.1:7300 --kind test --command 'npm test'
//
// The command runs with the task's context in its environment (SLIPWAY_PROJECT,
// SLIPWAY_STAGE, SLIPWAY_RELEASE, SLIPWAY_TASK_ID, SLIPWAY_ARTIFACT_<SERVICE>, ...).
// Exit 0 reports pass, anything else fail. Stop it with Ctrl-C or SIGTERM.
//
// A claim answers with a lease token: only the executor holding it (the same --name and
// that token) may heartbeat or report the task, so both go with every heartbeat (body
// fields `executor`, `leaseToken`) and with the CloudEvent (extensions `executor`,
// `leasetoken`). The token is a credential for that one task: it is not logged here and
// not passed to the command. A token with the scope `execute:<kind>` is enough.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    server: { type: 'string', default: process.env.SLIPWAY_SERVER ?? 'http://127.0.0.1:7300' },
    kind: { type: 'string', default: 'test' },
    command: { type: 'string' },
    name: { type: 'string', default: `${hostname()}-${process.pid}` },
    'lease-ms': { type: 'string', default: '30000' },
    once: { type: 'boolean', default: false },
  },
});
if (!opts.command) {
  console.error('executor: give --command, the shell command to run for each task');
  process.exit(2);
}
const token = process.env.SLIPWAY_TOKEN;
const leaseMs = Number(opts['lease-ms']);
const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
const log = (msg) => console.error(`executor ${opts.name}: ${msg}`);
let stopping = false;
let current;
// Stopping abandons a claim that is still waiting, so no new task is taken; a task in
// progress gets SIGTERM and is reported as it ends.
const waiting = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    waiting.abort();
    current?.kill('SIGTERM');
  });
}

async function api(method, path, body, signal) {
  const res = await fetch(`${opts.server}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function envFor({ task, run }) {
  // The command gets the task's context, not this executor's credentials.
  const { SLIPWAY_TOKEN: _token, ...inherited } = process.env;
  const env = {
    ...inherited,
    SLIPWAY_PROJECT: run.project,
    SLIPWAY_STAGE: run.stage,
    SLIPWAY_SEQUENCE: run.sequence,
    SLIPWAY_RELEASE: run.releaseId,
    SLIPWAY_RUN: run.id,
    SLIPWAY_TASK: task.name,
    SLIPWAY_TASK_ID: task.id,
    SLIPWAY_ATTEMPT: String(task.attempt),
    SLIPWAY_SERVICES: Object.keys(run.artifacts).sort().join(','),
  };
  for (const [service, ref] of Object.entries(run.artifacts)) env[`SLIPWAY_ARTIFACT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = ref;
  return env;
}

async function work(claimed) {
  const { task, event, leaseToken } = claimed;
  log(`running ${task.id}`);
  let tail = '';
  const keep = (b) => (tail = (tail + b.toString()).slice(-4000));
  const child = spawn('sh', ['-c', opts.command], { env: envFor(claimed), stdio: ['ignore', 'pipe', 'pipe'] });
  current = child;
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // Renew the lease while the command runs; a 409 means the run was aborted: stop.
  const beat = setInterval(async () => {
    const hb = await api('POST', `/api/v1/tasks/${encodeURIComponent(task.id)}/heartbeat`, { leaseMs, executor: opts.name, leaseToken }).catch(() => undefined);
    if (hb?.status === 409) {
      log(`${task.id} no longer runs (${hb.body?.message}); stopping the command`);
      child.kill('SIGTERM');
    }
  }, Math.max(1000, leaseMs / 3));
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  clearInterval(beat);
  current = undefined;
  const finished = {
    specversion: '1.0',
    id: randomUUID(),
    source: `executor://${opts.name}`,
    type: `sh.slipway.task.${task.name}.finished`,
    subject: task.id,
    taskid: task.id,
    executor: opts.name,
    leasetoken: leaseToken,
    ...(event?.id ? { triggeredid: event.id } : {}),
    datacontenttype: 'application/json',
    time: new Date().toISOString(),
    data: { result: code === 0 ? 'pass' : 'fail', message: `${opts.command} exited with ${code}`, output: { exitCode: code, tail } },
  };
  const res = await fetch(`${opts.server}/api/v1/events`, { method: 'POST', headers: { ...headers, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(finished) });
  log(`${task.id} ${finished.data.result} (reported: ${res.status})`);
}

while (!stopping) {
  let claim;
  try {
    claim = await api('POST', '/api/v1/tasks/claim', { kinds: [opts.kind], executor: opts.name, waitMs: 20000, leaseMs }, waiting.signal);
  } catch (e) {
    if (stopping) break;
    log(`cannot reach ${opts.server}: ${e.cause?.message ?? e.message}; retrying`);
    await new Promise((r) => setTimeout(r, 2000));
    continue;
  }
  if (claim.status === 204) continue;
  if (claim.status !== 200) {
    log(`claim refused: ${claim.status} ${claim.body?.message ?? ''}`);
    process.exit(1);
  }
  await work(claim.body);
  if (opts.once) break;
}
