/**
 * The router: one listening port for one service of one stage, routing each request to one of
 * the service's slots (by header, cookie, sticky pin or weight) over keep-alive upstream pools,
 * with per-slot counts for canary analysis and Prometheus.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { choose } from './choose.js';
import { ForwardHandler, hasBody, routerAnswer } from './forward.js';
import { upstreamHeaders } from './headers.js';
import { Mirror } from './mirror.js';
import { UpstreamPools } from './pools.js';
import { Meters } from './meters.js';
import { metricsSince, type RouterMetrics } from './stats.js';
import { RoutingTable, nextIndex, type Slot } from './table.js';
import { TrafficRecorder, type RecordSpec } from './record.js';
import type { MirrorSpec, RouterAddress, RouterOptions, RoutingOptions, SlotMap, Upstream } from './types.js';
import { tunnel } from './upgrade.js';

export class Router {
  private table = RoutingTable.empty();
  private readonly server: Server;
  private readonly pools: UpstreamPools;
  private readonly meters: Meters;
  private readonly mirror: Mirror;
  private readonly tunnels = new Set<Duplex>();
  private readonly log: Logger;
  private readonly now: () => number;
  private closing = false;
  private bound: RouterAddress | undefined;
  private recorder: TrafficRecorder | undefined;

  constructor(private readonly opts: RouterOptions = {}) {
    this.log = opts.log ?? pino({ level: 'silent' });
    this.now = opts.now ?? Date.now;
    this.pools = new UpstreamPools(opts.connectionsPerUpstream ?? 256);
    this.meters = new Meters(opts.registry, opts.labels, this.log);
    this.mirror = new Mirror(opts.mirrorInFlight ?? 64, opts.mirrorTimeoutMs ?? 10_000, this.meters.record, this.log);
    this.server = createServer({ keepAliveTimeout: 65_000 }, this.onRequest);
    this.server.on('upgrade', this.onUpgrade);
  }

  /** Starts listening; resolves with the address (the port the system picked when `port` was 0). */
  async listen(): Promise<RouterAddress> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.bound = { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    return this.bound;
  }

  get address(): RouterAddress | undefined {
    return this.bound;
  }

  /** Replaces every slot (and the mirror) in one step; requests already forwarded finish where they are. */
  setSlots(slots: SlotMap, opts: RoutingOptions = {}): void {
    const table = RoutingTable.build(slots, opts, (u: Upstream): Dispatcher => this.pools.get(u));
    this.table = table;
    this.pools.retain([...table.slots.values()].flatMap((s) => s.upstreams));
    this.log.info({ slots: Object.fromEntries([...table.slots.values()].map((s) => [s.name, s.weight])), mirror: opts.mirror }, 'router slots set');
  }

  /** The slots and mirror in force. */
  getSlots(): { slots: SlotMap; mirror?: MirrorSpec } {
    return this.table.spec();
  }

  /** Starts (or, with undefined, stops) recording a sample of live requests; see record.ts. The sample so far carries over. */
  record(spec: RecordSpec | undefined): void {
    const kept = this.recorder?.requests() ?? [];
    this.recorder = spec ? new TrafficRecorder(spec, this.now) : undefined;
    this.recorder?.restore(kept);
  }

  /** The recorder, when recording is on: its sample and counts. */
  get recording(): TrafficRecorder | undefined {
    return this.recorder;
  }

  /** Counts since the router started; diff two with `since`. */
  metrics(): RouterMetrics {
    return this.meters.snapshot(this.now());
  }

  /** The traffic since `earlier` (a `metrics()` snapshot of this router): error rates and percentiles of that interval. */
  since(earlier: RouterMetrics): RouterMetrics {
    return metricsSince(this.metrics(), earlier);
  }

  /** Stops listening, lets requests in flight finish for up to `graceMs`, then closes every connection. */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A keep-alive connection whose request was in flight goes idle after its answer; close it then.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      this.server.closeAllConnections();
      for (const s of this.tunnels) s.destroy();
    }, graceMs);
    for (const s of this.tunnels) s.end();
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
    await this.pools.close(graceMs);
    this.meters.close();
  }

  private refuse(res: ServerResponse, reason: string): void {
    this.meters.unrouted++;
    res.setHeader('x-slipway-router', 'refused');
    routerAnswer(res, 503, reason);
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    if (this.closing) res.shouldKeepAlive = false;
    // Absolute-form and `*` targets are for forward proxies; an origin server gets a path.
    if (req.url?.[0] !== '/') return routerAnswer(res, 400, `the request target '${req.url}' is not a path`);
    const table = this.table;
    const choice = choose(table, req.headers, this.opts.sticky === true);
    if (!choice.slot) return this.refuse(res, choice.refusal);
    const slot = choice.slot;
    const headers = upstreamHeaders(req);
    const withBody = hasBody(req);
    const live = choice.via === 'weight' || choice.via === 'sticky';
    if (live && this.recorder) this.recorder.offer(req);
    const copyTo = live ? table.mirrorNext() : undefined;
    const body = copyTo && copyTo !== slot ? this.mirror.send(copyTo, req, headers, withBody) : req;
    const done = (status: number, err?: Error): void => {
      this.meters.record(slot.name, status, performance.now() - start);
      if (err) this.meters.upstreamFailed(slot.name, err);
    };
    const handler = new ForwardHandler(res, done, choice.pin);
    const method = req.method as Dispatcher.HttpMethod;
    slot.pools[nextIndex(slot)]!.dispatch({ path: req.url, method, headers, body: withBody ? body : null }, handler);
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const start = performance.now();
    const choice = choose(this.table, req.headers, false);
    if (!choice.slot) {
      this.meters.unrouted++;
      return void socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    }
    const slot: Slot = choice.slot;
    const done = (status: number, err?: Error): void => {
      this.meters.record(slot.name, status, performance.now() - start);
      if (err) this.meters.upstreamFailed(slot.name, err);
    };
    tunnel(req, socket, head, slot.upstreams[nextIndex(slot)]!, upstreamHeaders(req, true), done, this.tunnels);
  };
}
