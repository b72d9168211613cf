/**
 * N live-event readers (`GET /api/v1/events/stream`, every event, as the dashboard reads it)
 * held open from a worker thread, so that reading them does not share the server's event loop.
 * Each client only finds message boundaries and the last `id:`; it does not parse the JSON.
 */
import { Worker } from 'node:worker_threads';

export interface SseClientsJob {
  origin: string;
  token: string;
  clients: number;
}

export interface SseClientsResult {
  clients: number;
  /** Clients whose stream ended or failed before the stop. */
  dropped: number;
  /** Event messages (`id:` lines) received, summed over the clients. */
  events: number;
  bytes: number;
  /** The lowest last id among the clients when stopped. */
  minLastId: number;
  errors: string[];
}

export interface SseClients {
  /** Resolves once every client got its response head. */
  ready: Promise<void>;
  /** Resolves once every client's last id is at least `seq`, or after `timeoutMs`; true when all got there. */
  reach(seq: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<SseClientsResult>;
}

type FromWorker = { kind: 'ready' } | { kind: 'reached'; ok: boolean } | { kind: 'result'; result: SseClientsResult } | { kind: 'error'; error: string };

export function openSseClients(job: SseClientsJob): SseClients {
  const worker = new Worker(new URL('./sse-clients-worker.js', import.meta.url), { workerData: job });
  const waiting = new Map<FromWorker['kind'], { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  const wait = (kind: FromWorker['kind']): Promise<FromWorker> => new Promise((resolve, reject) => waiting.set(kind, { resolve, reject }));
  worker.on('message', (m: FromWorker) => {
    if (m.kind === 'error') for (const w of waiting.values()) w.reject(new Error(`SSE clients failed: ${m.error}`));
    else waiting.get(m.kind)?.resolve(m);
  });
  worker.once('error', (e) => {
    for (const w of waiting.values()) w.reject(e);
  });
  const ready = wait('ready').then(() => undefined);
  return {
    ready,
    async reach(seq, timeoutMs) {
      const answer = wait('reached');
      worker.postMessage({ kind: 'reach', seq, timeoutMs });
      const m = await answer;
      return m.kind === 'reached' && m.ok;
    },
    async stop() {
      const answer = wait('result');
      worker.postMessage({ kind: 'stop' });
      const m = await answer;
      await worker.terminate();
      if (m.kind !== 'result') throw new Error('SSE clients: no result');
      return m.result;
    },
  };
}
