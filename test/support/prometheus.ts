/**
 * A real Prometheus (and optionally a real Alertmanager) for tests: Debian's binaries, started in a
 * temp dir on 127.0.0.1 at ports chosen at run time, plus a real /metrics exporter whose series the
 * test sets through prom-client's own Registry.
 *
 * Usage:
 *   describe.skipIf(!prometheusAvailable())(`... (${prometheusSkipReason() ?? ''})`, () => { ... })
 *   const exporter = await startExporter();
 *   const g = exporter.gauge('latency_seconds', 'help', ['service']);
 *   const stack = await startPrometheusStack({ targets: [exporter.address], rules, alertmanager: true });
 *   await waitForTargetUp(stack.prometheusUrl, exporter.address, 20_000);
 *   await waitForQuery(stack.prometheusUrl, 'latency_seconds', (s) => s.length === 1, 20_000);
 *   await stack.stop(); await exporter.close();
 *
 * Processes die with the test: each binary runs under a small `sh` watchdog that reads our stdin
 * pipe and TERMs (then KILLs) the binary when the pipe closes, which happens on `stop()` and also
 * when the test process dies for any reason (crash, SIGKILL, vitest tearing the worker down).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const PROMETHEUS_BIN = process.env.SLIPWAY_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = process.env.SLIPWAY_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the Prometheus tests cannot run here, or undefined when both binaries are installed. */
export function prometheusSkipReason(opts: { alertmanager?: boolean } = {}): string | undefined {
  const missing: string[] = [];
  if (!executable(PROMETHEUS_BIN)) missing.push(`${PROMETHEUS_BIN} (Debian package prometheus)`);
  if (opts.alertmanager !== false && !executable(ALERTMANAGER_BIN)) missing.push(`${ALERTMANAGER_BIN} (Debian package prometheus-alertmanager)`);
  return missing.length ? `skipped: not installed: ${missing.join(', ')}` : undefined;
}

/** True when Prometheus (and, unless `alertmanager: false`, Alertmanager) can be started here. */
export function prometheusAvailable(opts: { alertmanager?: boolean } = {}): boolean {
  return prometheusSkipReason(opts) === undefined;
}

/** A port free right now on 127.0.0.1 (the OS picks it; a start that loses the race is retried). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `fn` until `check` holds; on timeout throws naming `what` and the last value or error seen. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string = 'nothing yet';
  for (;;) {
    try {
      const v = await fn();
      if (check(v)) return v;
      last = JSON.stringify(v)?.slice(0, 800) ?? String(v);
    } catch (err) {
      last = `error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

const live = new Set<ChildProcess>();
// The stdin pipes close when this process exits anyway; closing them here makes the binaries go
// away at once instead of when the OS reaps our fds.
process.once('exit', () => {
  for (const c of live) c.stdin?.destroy();
});

/**
 * Watchdog: run the binary in the background with stdin from /dev/null, and a reader on our pipe
 * (fd 3) that TERMs it when the pipe closes, then KILLs it 5 s later if it is still there.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" 3<&- </dev/null & c=$!',
  '( read _ <&3; kill -TERM $c 2>/dev/null; sleep 5; kill -KILL $c 2>/dev/null ) &',
  'w=$!',
  'wait $c; s=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function startProcess(name: string, bin: string, args: string[], cwd: string): Proc {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', bin, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return {
    name,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 200, failing early (with the process's log) if the process exits. */
async function waitReady(proc: Proc, url: string, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void proc.exited.then((c) => (exitCode = c));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${proc.name} exited (code ${exitCode}) before it was ready at ${url}; its log:\n${proc.output().slice(-4000)}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await proc.stop();
      throw new Error(`${proc.name} was not ready at ${url} after ${timeoutMs} ms; its log:\n${proc.output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus + Alertmanager

export interface PrometheusStackOptions {
  /** Scrape targets, `host:port` (e.g. an exporter's or a router's address). */
  targets: string[];
  /** Job label of the targets (default `test`). */
  job?: string;
  /** Path scraped on each target (default `/metrics`). */
  metricsPath?: string;
  /** Rule file YAML text (Prometheus format: `groups: [...]`). */
  rules?: string;
  /** Also start an Alertmanager and send Prometheus's alerts to it. */
  alertmanager?: boolean;
  /** Readiness deadline for each process (default 30 s). */
  startTimeoutMs?: number;
}

export interface PrometheusStack {
  prometheusUrl: string;
  alertmanagerUrl?: string;
  /** The temp dir holding the config, rules and storage. */
  dir: string;
  /** Replaces the rule file and reloads Prometheus (through /-/reload, lifecycle API). */
  setRules(yamlText: string): Promise<void>;
  /** Logs of the processes so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

function prometheusConfig(o: PrometheusStackOptions, rulesFile: string, amAddress: string | undefined): string {
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(rulesFile)}`,
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(o.job ?? 'test')}`,
    `    metrics_path: ${JSON.stringify(o.metricsPath ?? '/metrics')}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(o.targets)}`,
  ];
  if (amAddress) {
    lines.push('alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: [${JSON.stringify(amAddress)}]`);
  }
  return lines.join('\n') + '\n';
}

const ALERTMANAGER_CONFIG = [
  'route:',
  '  receiver: none',
  '  group_wait: 0s',
  '  group_interval: 1s',
  '  repeat_interval: 1h',
  'receivers:',
  '  - name: none',
  '',
].join('\n');

const EMPTY_RULES = 'groups: []\n';

async function startAlertmanager(dir: string, timeoutMs: number): Promise<{ proc: Proc; url: string; address: string }> {
  await writeFile(join(dir, 'alertmanager.yml'), ALERTMANAGER_CONFIG);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const proc = startProcess('alertmanager', ALERTMANAGER_BIN, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=${address}`,
      // Empty: no gossip cluster (it would bind a port of its own and wait for peers).
      '--cluster.listen-address=',
      '--log.level=warn',
    ], dir);
    try {
      await waitReady(proc, `http://${address}/-/ready`, timeoutMs);
      return { proc, url: `http://${address}`, address };
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(proc.output())) throw err;
    }
  }
}

async function startPrometheus(dir: string, o: PrometheusStackOptions, amAddress: string | undefined, timeoutMs: number): Promise<{ proc: Proc; url: string }> {
  const rulesFile = join(dir, 'rules.yml');
  await writeFile(rulesFile, o.rules ?? EMPTY_RULES);
  await writeFile(join(dir, 'prometheus.yml'), prometheusConfig(o, rulesFile, amAddress));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const proc = startProcess('prometheus', PROMETHEUS_BIN, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=${address}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ], dir);
    try {
      await waitReady(proc, `http://${address}/-/ready`, timeoutMs);
      return { proc, url: `http://${address}` };
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(proc.output())) throw err;
    }
  }
}

/**
 * Starts Prometheus (scraping `targets` every second, evaluating rules every second) and, if asked,
 * an Alertmanager it sends alerts to. Call `stop()` in afterAll/afterEach; the processes also die
 * if the test process dies.
 */
export async function startPrometheusStack(o: PrometheusStackOptions): Promise<PrometheusStack> {
  const reason = prometheusSkipReason({ alertmanager: o.alertmanager === true });
  if (reason) throw new Error(`cannot start the Prometheus stack: ${reason}`);
  const timeoutMs = o.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'slipway-prom-'));
  const procs: Proc[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let am: { proc: Proc; url: string; address: string } | undefined;
    if (o.alertmanager) {
      am = await startAlertmanager(dir, timeoutMs);
      procs.push(am.proc);
    }
    const prom = await startPrometheus(dir, o, am?.address, timeoutMs);
    procs.push(prom.proc);
    return {
      prometheusUrl: prom.url,
      alertmanagerUrl: am?.url,
      dir,
      async setRules(text: string) {
        await writeFile(join(dir, 'rules.yml'), text);
        const res = await fetch(`${prom.url}/-/reload`, { method: 'POST' });
        const body = await res.text();
        if (!res.ok) throw new Error(`Prometheus refused the new rules (HTTP ${res.status}): ${body}`);
      },
      logs: () => procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Polling helpers against the real HTTP APIs

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface QueryBody {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

/** One instant query, as samples (a scalar is one sample with no labels). Throws on API errors. */
export async function instantQuery(prometheusUrl: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const body = (await res.json()) as QueryBody;
  if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed (HTTP ${res.status}): ${body.error ?? 'no data'}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return [{ labels: {}, value: Number((result as [number, string])[1]) }];
  if (resultType === 'vector') {
    return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }
  throw new Error(`query ${promql} gave a ${resultType}, not a vector or scalar`);
}

/** Polls `promql` until `predicate` holds for its samples; returns them. */
export function waitForQuery(prometheusUrl: string, promql: string, predicate: (samples: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
  return waitFor(`query ${promql} at ${prometheusUrl} to satisfy ${predicate.toString().slice(0, 200)}`, () => instantQuery(prometheusUrl, promql), predicate, timeoutMs, 250);
}

interface TargetsBody {
  data: { activeTargets: Array<{ labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }> };
}

/**
 * Polls /api/v1/targets until the target `hostPort` is up. Prometheus applies new targets only
 * every ~5 s, so allow 15 s or more.
 */
export async function waitForTargetUp(prometheusUrl: string, hostPort: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `target ${hostPort} to be up in Prometheus ${prometheusUrl}`,
    async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
      const body = (await res.json()) as TargetsBody;
      const t = body.data.activeTargets.find((x) => x.labels.instance === hostPort || x.scrapeUrl.includes(`//${hostPort}/`));
      return t ? { health: t.health, lastError: t.lastError } : { health: 'not discovered yet', lastError: '' };
    },
    (t) => t.health === 'up',
    timeoutMs,
    250,
  );
}

/** Polls Alertmanager's /api/v2/alerts until an active alert named `alertname` is there. */
export async function waitForAlertmanagerAlert(alertmanagerUrl: string, alertname: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `alert ${alertname} to be active in Alertmanager ${alertmanagerUrl}`,
    async () => {
      const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?active=true`);
      const alerts = (await res.json()) as Array<{ labels: Record<string, string> }>;
      return alerts.map((a) => a.labels.alertname);
    },
    (names) => names.includes(alertname),
    timeoutMs,
    250,
  );
}

// ---------------------------------------------------------------------------------------------
// Exporter

export interface Exporter {
  /** `127.0.0.1:port`, for Prometheus's targets. */
  address: string;
  /** `http://127.0.0.1:port/metrics`. */
  url: string;
  registry: Registry;
  gauge(name: string, help: string, labelNames?: string[]): Gauge<string>;
  counter(name: string, help: string, labelNames?: string[]): Counter<string>;
  histogram(name: string, help: string, labelNames?: string[], buckets?: number[]): Histogram<string>;
  /** How many times /metrics was scraped (to wait for a fresh scrape after setting values). */
  scrapes(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP /metrics endpoint on 127.0.0.1 serving its own prom-client Registry, or `registry`
 * when given (e.g. the one a Router writes its series to, so Prometheus scrapes the router).
 */
export async function startExporter(opts: { registry?: Registry } = {}): Promise<Exporter> {
  const registry = opts.registry ?? new Registry();
  let scrapes = 0;
  const server: Server = createHttpServer((req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return res.end('not found: only /metrics is served\n');
    }
    scrapes++;
    registry.metrics().then(
      (text) => {
        res.setHeader('content-type', registry.contentType);
        res.end(text);
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const address = `127.0.0.1:${port}`;
  return {
    address,
    url: `http://${address}/metrics`,
    registry,
    gauge: (name, help, labelNames = []) => new Gauge({ name, help, labelNames, registers: [registry] }),
    counter: (name, help, labelNames = []) => new Counter({ name, help, labelNames, registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets) => new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) }),
    scrapes: () => scrapes,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
