/** The body of bench/sse-clients.ts, run in a child process (the job in SSE_CLIENTS_JOB, messages over IPC). */
import { Agent, request, type ClientRequest } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { FromClients, SseClientsJob, SseClientsResult, ToClients } from './sse-clients.js';

const job = JSON.parse(process.env['SSE_CLIENTS_JOB'] ?? '') as SseClientsJob;
const post = (m: FromClients) => process.send!(m);
process.on('uncaughtException', (e) => {
  post({ kind: 'error', error: e.stack ?? e.message });
  process.exit(1);
});
const agent = new Agent({ keepAlive: false, maxSockets: job.clients });
const lastIds: number[] = new Array<number>(job.clients).fill(0);
const requests: ClientRequest[] = [];
let events = 0;
let bytes = 0;
let wireBytes = 0;
let dropped = 0;
let heads = 0;
let stopping = false;
const errors: string[] = [];

const ID = Buffer.from('\nid: ');

function open(i: number): void {
  // Bytes, not text: decoding hundreds of MB/s would cost the machine the server runs on. Every
  // `id:` line follows a newline (the stream opens with `retry:`); a line cut by a chunk
  // boundary is kept and read with the next chunk.
  let tail: Buffer = Buffer.alloc(0);
  const headers = { authorization: `Bearer ${job.token}`, accept: 'text/event-stream', ...(job.gzip ? { 'accept-encoding': 'gzip' } : {}) };
  const req = request(`${job.origin}/api/v1/events/stream`, { agent, headers }, (res) => {
    if (res.statusCode !== 200) {
      if (errors.length < 5) errors.push(`client ${i}: HTTP ${res.statusCode}`);
    }
    if (++heads === job.clients) post({ kind: 'ready' });
    res.on('data', (chunk: Buffer) => (wireBytes += chunk.length));
    const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
    body.on('error', (e) => {
      if (stopping) return;
      dropped++;
      if (errors.length < 5) errors.push(`client ${i}: ${e.message}`);
    });
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      let keepFrom = Math.max(0, data.length - (ID.length - 1));
      for (let at = data.indexOf(ID); at >= 0; at = data.indexOf(ID, at + ID.length)) {
        const nl = data.indexOf(10, at + ID.length);
        if (nl < 0) {
          keepFrom = at;
          break;
        }
        events++;
        lastIds[i] = Number(data.toString('latin1', at + ID.length, nl));
      }
      tail = Buffer.from(data.subarray(keepFrom));
    });
    res.on('end', () => {
      if (!stopping) dropped++;
    });
  });
  req.on('error', (e) => {
    if (stopping) return;
    dropped++;
    if (errors.length < 5) errors.push(`client ${i}: ${e.message}`);
  });
  req.end();
  requests.push(req);
}

process.on('message', (m: ToClients) => {
  if (m.kind === 'open') {
    for (let i = 0; i < job.clients; i++) open(i);
    if (job.clients === 0) post({ kind: 'ready' });
    return;
  }
  if (m.kind === 'reach') {
    const deadline = performance.now() + m.timeoutMs;
    const poll = () => {
      const ok = lastIds.every((id) => id >= m.seq);
      if (ok || performance.now() > deadline) post({ kind: 'reached', ok });
      else setTimeout(poll, 20);
    };
    poll();
    return;
  }
  stopping = true;
  for (const r of requests) r.destroy();
  agent.destroy();
  const result: SseClientsResult = { clients: job.clients, dropped, events, bytes, wireBytes, minLastId: Math.min(...lastIds), errors };
  post({ kind: 'result', result });
  process.disconnect();
});
