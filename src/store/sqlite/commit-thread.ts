/**
 * The main thread's end of the commit thread (commit-worker.ts): requests in, answers out,
 * matched by id. One thread serves every store of the process (a connection each); it starts
 * when the first file store opens and keeps the process alive only while a request is open. When the thread dies, what was open
 * fails with the reason and the next request starts a new one: a commit that failed wrote
 * nothing, as on one thread.
 */
import { Worker } from 'node:worker_threads';
import type { EncodedBatch } from '../sql/commit-batch.js';
import type { AuditDraft, BackupInfo, NotificationRow } from '../port.js';
import { errorIn, type CommitReply, type CommitRequest } from './commit-protocol.js';

type Request = CommitRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Ok = CommitReply & { ok: true };

interface Open {
  resolve: (r: Ok) => void;
  reject: (e: Error) => void;
}

/**
 * From the built JavaScript the thread runs commit-worker.js; from the TypeScript sources
 * (the tests) it runs the .ts through tsx, which costs about a second, once per process.
 */
function spawn(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./commit-worker.js', here));
  const entry = JSON.stringify(new URL('./commit-worker.ts', here).href);
  return new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${entry}); })`, { eval: true });
}

/** A running thread and the requests open on it. */
class Running {
  readonly worker = spawn();
  private readonly open = new Map<number, Open>();
  private nextId = 1;
  dead = false;

  constructor() {
    const w = this.worker;
    w.unref();
    w.on('message', (reply: CommitReply) => {
      const o = this.open.get(reply.id);
      if (!o) return;
      this.open.delete(reply.id);
      if (this.open.size === 0) w.unref();
      if (reply.ok) o.resolve(reply);
      else o.reject(errorIn(reply.error));
    });
    w.on('error', (e) => this.gone(e));
    w.on('exit', (code) => this.gone(new Error(`the SQLite commit thread stopped (exit code ${code})`)));
  }

  request(req: Request): Promise<Ok> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new Error('the SQLite commit thread stopped'));
      if (this.open.size === 0) this.worker.ref();
      this.open.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  /** 'error' then 'exit' when the thread fails: the first reason wins. */
  private gone(why: Error): void {
    this.dead = true;
    if (shared === this) shared = undefined;
    for (const o of this.open.values()) o.reject(why);
    this.open.clear();
  }
}

let shared: Running | undefined;
let nextConn = 1;

/** One store's connection on the commit thread. */
export class CommitThread {
  private readonly conn = nextConn++;
  /** The thread this store's connection was opened on. */
  private on: Running | undefined;

  constructor(private readonly opts: { file: string; maxParameters: number }) {}

  async commit(rows: EncodedBatch, audit: readonly AuditDraft[]): Promise<void> {
    await this.request({ conn: this.conn, op: 'commit', rows, audit });
  }

  async enqueueNotifications(rows: readonly NotificationRow[], cursors: readonly { name: string; value: number }[]): Promise<number> {
    const reply = await this.request({ conn: this.conn, op: 'notify', rows, cursors });
    return reply.added ?? 0;
  }

  async backup(toFile: string): Promise<BackupInfo> {
    const reply = await this.request({ conn: this.conn, op: 'backup', toFile });
    return reply.backup!;
  }

  /** Lets this store's open requests finish and closes its connection there. */
  async close(): Promise<void> {
    const on = this.on;
    this.on = undefined;
    if (on && !on.dead) await on.request({ conn: this.conn, op: 'close' });
  }

  /**
   * Starts the thread and opens this store's connection there now, without waiting: the
   * first commit then finds them ready (a thread takes from tens of ms to a second to start).
   */
  warm(): void {
    this.connected();
  }

  private request(req: Request): Promise<Ok> {
    return this.connected().request(req);
  }

  private connected(): Running {
    if (!this.on || this.on.dead) {
      const r = (shared ??= new Running());
      this.on = r;
      // Sent first on the same port, so it is handled before what follows; its failure is the first commit's.
      r.request({ conn: this.conn, op: 'open', file: this.opts.file, maxParameters: this.opts.maxParameters }).catch(() => undefined);
    }
    return this.on;
  }
}
