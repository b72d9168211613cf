/**
 * N live-event readers (`GET /api/v1/events/stream`, every event, as the dashboard reads it)
 * held open from a child process of their own, so that reading them shares neither the
 * server's event loop nor its heap.
 * Each client only finds message boundaries and the last `id:`; it does not parse the JSON.
 * With `gzip` the clients ask for a compressed stream (as browsers and fetch do) and inflate it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SseClientsJob {
  origin: string;
  token: string;
  clients: number;
  /** Send Accept-Encoding: gzip (and inflate what comes compressed). */
  gzip: boolean;
}

export interface SseClientsResult {
  clients: number;
  /** Clients whose stream ended or failed before the stop. */
  dropped: number;
  /** Event messages (`id:` lines) received, summed over the clients. */
  events: number;
  /** Bytes of event stream read (after inflating), and as they came off the sockets. */
  bytes: number;
  wireBytes: number;
  /** The lowest last id among the clients when stopped. */
  minLastId: number;
  errors: string[];
}

export interface SseClients {
  /** Opens the streams; resolves once every client got its response head. The process starts at once, so its start overlaps whatever comes first. */
  open(): Promise<void>;
  /** Resolves once every client's last id is at least `seq`, or after `timeoutMs`; true when all got there. */
  reach(seq: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<SseClientsResult>;
  /** Ends the readers' process, whatever it is doing (after stop, which leaves it to end, or when the part failed). */
  kill(): void;
}

export type FromClients = { kind: 'ready' } | { kind: 'reached'; ok: boolean } | { kind: 'result'; result: SseClientsResult } | { kind: 'error'; error: string };
export type ToClients = { kind: 'open' } | { kind: 'reach'; seq: number; timeoutMs: number } | { kind: 'stop' };

export function openSseClients(job: SseClientsJob): SseClients {
  const script = fileURLToPath(new URL('./sse-clients-process.js', import.meta.url));
  const proc = spawn(process.execPath, [script], { env: { ...process.env, SSE_CLIENTS_JOB: JSON.stringify(job) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiting = new Map<FromClients['kind'], { resolve: (m: FromClients) => void; reject: (e: Error) => void }>();
  const wait = (kind: FromClients['kind']): Promise<FromClients> => new Promise((resolve, reject) => waiting.set(kind, { resolve, reject }));
  const fail = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
  };
  proc.on('message', (m: FromClients) => {
    if (m.kind === 'error') fail(new Error(`SSE clients failed: ${m.error}`));
    else waiting.get(m.kind)?.resolve(m);
  });
  proc.once('error', fail);
  proc.once('exit', (code, sig) => fail(new Error(`the SSE clients' process ended (${sig ?? `exit ${code}`}) before answering`)));
  const send = (m: ToClients) => proc.send(m);
  return {
    async open() {
      const answer = wait('ready');
      send({ kind: 'open' });
      await answer;
    },
    async reach(seq, timeoutMs) {
      const answer = wait('reached');
      send({ kind: 'reach', seq, timeoutMs });
      const m = await answer;
      return m.kind === 'reached' && m.ok;
    },
    async stop() {
      const answer = wait('result');
      send({ kind: 'stop' });
      const m = await answer;
      if (m.kind !== 'result') throw new Error('SSE clients: no result');
      return m.result;
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill();
    },
  };
}
