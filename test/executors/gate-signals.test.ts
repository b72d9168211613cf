/**
 * Each gate signal type on its own, read the way a sample reads it: HTTP against a real server
 * on 127.0.0.1, Prometheus and alarms against a real Prometheus and Alertmanager scraping a real
 * exporter, business hours at fixed instants across both daylight-saving changes, another
 * stage's runs through the executor's `runs` port. And the condition grammar they share.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PastRun, RunQuery } from '../../src/engine/executor.js';
import { gateProblems, parseCondition, parseGate, takeSample, type Reading } from '../../src/executors/gate/index.js';
import { mockExecutorContext } from '../../src/executors/index.js';
import {
  prometheusAvailable,
  prometheusSkipReason,
  startExporter,
  startPrometheusStack,
  waitFor,
  waitForAlertmanagerAlert,
  waitForQuery,
  waitForTargetUp,
  type Exporter,
  type PrometheusStack,
} from '../support/prometheus.js';
import { deadUrl, startHealthServer, type HealthServer } from './gate-server.js';

const T0 = Date.UTC(2026, 0, 12, 12, 0, 0);

async function sample(signal: Record<string, unknown>, opts: { now?: number; runs?: (q: RunQuery) => Promise<PastRun[]>; timeoutMs?: number } = {}): Promise<Reading> {
  const parsed = parseGate({ signals: [{ name: 's', ...signal }] });
  if ('problems' in parsed) throw new Error(`bad signal in the test: ${JSON.stringify(parsed.problems)}`);
  const ctx = mockExecutorContext({ now: opts.now ?? T0, task: { name: 'health', kind: 'gate' } });
  const withRuns = opts.runs ? Object.assign(ctx, { runs: opts.runs }) : ctx;
  try {
    const [reading] = await takeSample(withRuns, parsed.spec, ctx.now(), opts.timeoutMs ?? 5000);
    return reading!;
  } finally {
    ctx.dispose();
  }
}

const problemsOf = (signal: Record<string, unknown>) => gateProblems({ signals: [{ name: 's', ...signal }] });

describe('conditions', () => {
  it('reads a path or a word, one operator and a number, string or boolean', () => {
    expect(parseCondition('$.status == "green"', { path: true })).toMatchObject({ subject: '$.status', path: ['status'], op: '==', literal: 'green' });
    expect(parseCondition("$.checks[1]['db state'] != 'down'", { path: true })).toMatchObject({ path: ['checks', 1, 'db state'], op: '!=', literal: 'down' });
    expect(parseCondition('result <= -1.5e-3', { word: 'result' })).toMatchObject({ subject: 'result', op: '<=', literal: -0.0015 });
    expect(parseCondition('>= 3', { word: 'result', optional: true })).toMatchObject({ op: '>=', literal: 3 });
    expect(parseCondition('$.ready == true', { path: true })).toMatchObject({ literal: true });
  });

  it('names the mistake: a single =, a missing value, an unquoted word, ordering a string, a stray subject', () => {
    expect(parseCondition('$.status = "green"', { path: true })).toMatch(/needs one of == != <= >= < > after \$\.status, got '='.*\(equality is ==\)/);
    expect(parseCondition('result <', { word: 'result' })).toMatch(/a value is missing after the operator/);
    expect(parseCondition('$.status == green', { path: true })).toMatch(/green is not a value; write a number .*a quoted string/);
    expect(parseCondition('$.version > "1.2"', { path: true })).toMatch(/orders with >, which needs a number on the right, got "1.2"/);
    expect(parseCondition('value < 1', { word: 'result' })).toMatch(/compares 'value'; the left side must be `result`/);
    expect(parseCondition('$.a < 1', { word: 'result' })).toMatch(/starts with a JSON path; here write `result OP VALUE`/);
    expect(parseCondition('$.a..b < 1', { path: true })).toMatch(/needs one of/);
    expect(parseCondition('< 1', { path: true })).toMatch(/has nothing to compare on its left/);
    expect(parseCondition('result < 1 2', { word: 'result' })).toMatch(/1 2 is not a value/);
  });
});

describe('http signal', () => {
  let server: HealthServer;
  beforeAll(async () => {
    server = await startHealthServer();
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.set({ status: 200, body: { status: 'green' } });
    server.requests.length = 0;
  });

  it('passes on any 2xx by default, its value the status', async () => {
    server.set({ status: 204 });
    expect(await sample({ http: { url: server.url } })).toEqual({ name: 's', type: 'http', pass: true, value: 204, detail: `HTTP 204 from ${new URL(server.url).origin}` });
  });

  it('fails on another status, naming the status and what was expected', async () => {
    server.set({ status: 503, body: { status: 'green' } });
    const r = await sample({ http: { url: server.url, condition: '$.status == "green"' } });
    expect(r).toMatchObject({ pass: false, value: 503, detail: `HTTP 503 from ${new URL(server.url).origin}, expected 2xx` });
    server.set({ status: 302 });
    expect(await sample({ http: { url: server.url, expectStatus: [200, '3xx'] } })).toMatchObject({ pass: true, value: 302 });
  });

  it('tests a value at a JSON path of the body', async () => {
    expect(await sample({ http: { url: server.url, condition: '$.status == "green"' } })).toMatchObject({ pass: true, value: 'green', detail: '$.status is "green", == "green"' });
    server.set({ status: 200, body: { status: 'red' } });
    expect(await sample({ http: { url: server.url, condition: '$.status == "green"' } })).toMatchObject({ pass: false, value: 'red', detail: '$.status: "red" is not == "green"' });
    server.set({ status: 200, body: { checks: [{ errors: 1 }, { errors: 7 }] } });
    expect(await sample({ http: { url: server.url, jsonPath: '$.checks[1].errors', condition: '< 5' } })).toMatchObject({ pass: false, value: 7, detail: '$.checks[1].errors: 7 is not < 5' });
    expect(await sample({ http: { url: server.url, condition: '$.checks[0].errors < 5' } })).toMatchObject({ pass: true, value: 1 });
  });

  it('compares strictly: the text "3" is not a number, and a missing path or a body that is not JSON fails', async () => {
    server.set({ status: 200, body: { errors: '3' } });
    expect(await sample({ http: { url: server.url, condition: '$.errors < 5' } })).toMatchObject({ pass: false, value: '3', detail: '$.errors: "3" is not a number, so it cannot be < 5' });
    expect(await sample({ http: { url: server.url, condition: '$.errors == 3' } })).toMatchObject({ pass: false, detail: '$.errors: "3" (a string, not a number) is not == 3' });
    expect(await sample({ http: { url: server.url, condition: '$.status.level == 1' } })).toMatchObject({ pass: false, value: null, detail: `HTTP 200 from ${new URL(server.url).origin}; the body has no $.status` });
    server.set({ status: 200, raw: '<html>ok</html>' });
    expect((await sample({ http: { url: server.url, jsonPath: '$.status' } })).detail).toMatch(/but the body is not JSON, so \$\.status cannot be read/);
  });

  it('sends its method, headers and body, and the task id to act once', async () => {
    await sample({ http: { url: server.url, method: 'post', headers: { authorization: 'Bearer t0k' }, body: { probe: true } } });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', body: '{"probe":true}', headers: { authorization: 'Bearer t0k', 'content-type': 'application/json', 'user-agent': 'slipway-gate' } });
    expect(server.requests[0]!.headers['x-slipway-task-id']).toMatch(/health/);
  });

  it('a server that is down or silent fails the sample with the reason; it is not an error', async () => {
    const dead = await deadUrl();
    const down = await sample({ http: { url: dead } });
    expect(down).toMatchObject({ pass: false, value: null });
    expect(down.detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED/);
    server.set({ status: 200, hang: true });
    const silent = await sample({ http: { url: server.url } }, { timeoutMs: 300 });
    expect(silent).toMatchObject({ pass: false, value: null });
    expect(silent.detail).toBe('could not be read: no answer within 300 ms');
  });

  it('checks its properties at load, naming each field', () => {
    expect(problemsOf({ http: { url: 'ftp://x', method: 'DELETE', expectStatus: '2xy', condition: '$.a = 1', extra: 1 } })).toEqual([
      { field: 'signals[0].http.extra', message: 'signals[0].http has no field \'extra\'; allowed: url, method, headers, body, expectStatus, jsonPath, condition' },
      { field: 'signals[0].http.url', message: 'url must be an http or https URL, got "ftp://x"' },
      { field: 'signals[0].http.method', message: 'method must be one of GET, HEAD, POST (a gate only reads), got "DELETE"' },
      { field: 'signals[0].http.expectStatus', message: 'expectStatus must be a status code (200), a class (\'2xx\') or a list of them, got "2xy"' },
      { field: 'signals[0].http.condition', message: expect.stringMatching(/got '='/) as string },
    ]);
    expect(problemsOf({ http: { url: 'http://x', jsonPath: '$.a', condition: '$.a == 1' } })[0]).toMatchObject({ field: 'signals[0].http.condition', message: expect.stringMatching(/give it once/) });
    expect(problemsOf({ http: { url: 'http://x', method: 'HEAD', condition: '$.a == 1' } })[0]).toMatchObject({ field: 'signals[0].http.method', message: expect.stringMatching(/HEAD answer has no body/) });
    expect(problemsOf({ http: { url: '${secret:HEALTH_URL}' } })).toEqual([]);
  });
});

describe('businessHours signal', () => {
  const berlin = { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' };
  const at = async (iso: string, hours: Record<string, unknown> = berlin) => sample({ businessHours: hours }, { now: Date.parse(iso) });

  it('reads the time in the zone: 09:00 is 08:00 UTC in winter and 07:00 UTC in summer', async () => {
    // Monday 12 January 2026 (CET, UTC+1).
    expect(await at('2026-01-12T07:59:00Z')).toMatchObject({ pass: false, value: 'Mon 08:59', detail: 'Mon 08:59 in Europe/Berlin is outside mon-fri 09:00-17:00 Europe/Berlin' });
    expect(await at('2026-01-12T08:00:00Z')).toMatchObject({ pass: true, value: 'Mon 09:00' });
    // Monday 30 March 2026, the day after clocks went forward (CEST, UTC+2).
    expect(await at('2026-03-30T06:59:00Z')).toMatchObject({ pass: false, value: 'Mon 08:59' });
    expect(await at('2026-03-30T07:00:00Z')).toMatchObject({ pass: true, value: 'Mon 09:00' });
    expect(await at('2026-03-30T14:59:00Z')).toMatchObject({ pass: true, value: 'Mon 16:59' });
    expect(await at('2026-03-30T15:00:00Z')).toMatchObject({ pass: false, value: 'Mon 17:00' });
    // Monday 26 October 2026, the day after clocks went back (CET again).
    expect(await at('2026-10-26T07:30:00Z')).toMatchObject({ pass: false, value: 'Mon 08:30' });
    expect(await at('2026-10-26T08:30:00Z')).toMatchObject({ pass: true, value: 'Mon 09:30' });
  });

  it('is closed on days not listed', async () => {
    expect(await at('2026-01-17T10:00:00Z')).toMatchObject({ pass: false, value: 'Sat 11:00' });
  });

  it('a window across midnight belongs to the day it opens on', async () => {
    const night = { timeZone: 'Europe/Berlin', days: ['fri'], from: '22:00', to: '06:00' };
    expect(await at('2026-01-16T21:30:00Z', night)).toMatchObject({ pass: true, value: 'Fri 22:30' });
    expect(await at('2026-01-17T04:59:00Z', night)).toMatchObject({ pass: true, value: 'Sat 05:59' });
    expect(await at('2026-01-17T05:00:00Z', night)).toMatchObject({ pass: false, value: 'Sat 06:00' });
    expect(await at('2026-01-17T21:30:00Z', night)).toMatchObject({ pass: false, value: 'Sat 22:30' });
  });

  it('defaults to Monday to Friday, and 00:00-24:00 is whole days', async () => {
    const allDay = { timeZone: 'UTC', from: '00:00', to: '24:00' };
    expect(await at('2026-01-16T23:59:00Z', allDay)).toMatchObject({ pass: true, detail: 'Fri 23:59 in UTC is within mon-fri 00:00-24:00 UTC' });
    expect(await at('2026-01-17T00:00:00Z', allDay)).toMatchObject({ pass: false });
  });

  it('refuses an unknown zone, unknown days and times that are not HH:MM', () => {
    expect(problemsOf({ businessHours: { timeZone: 'Europe/Berlinn', days: ['mon', 'funday'], from: '9:00', to: '25:00' } })).toEqual([
      { field: 'signals[0].businessHours.timeZone', message: 'timeZone must be an IANA time zone such as Europe/Berlin, America/New_York or UTC, got "Europe/Berlinn"' },
      { field: 'signals[0].businessHours.days', message: 'days must be a list of sun, mon, tue, wed, thu, fri, sat (default mon-fri), got ["mon","funday"]' },
      { field: 'signals[0].businessHours.from', message: 'from must be a local time HH:MM (00:00 to 23:59), quoted in YAML, got "9:00"' },
      { field: 'signals[0].businessHours.to', message: 'to must be a local time HH:MM (00:00 to 23:59, or 24:00), quoted in YAML, got "25:00"' },
    ]);
    expect(problemsOf({ businessHours: { timeZone: 'UTC', from: '10:00', to: '10:00' } })[0]?.message).toMatch(/from and to are both 10:00/);
  });
});

describe('stage signal', () => {
  const run = (id: string, finishedAt: number): PastRun => ({ id, releaseId: `rel-${id}`, sequence: 'delivery', state: 'failed', result: 'fail', queuedAt: finishedAt - 60_000, finishedAt, tasks: [] });

  it('fails while a run of the stage failed inside the window, naming the latest', async () => {
    const asked: RunQuery[] = [];
    const runs = async (q: RunQuery) => (asked.push(q), [run('run-b', T0 - 30 * 60_000), run('run-a', T0 - 3 * 3_600_000)]);
    const r = await sample({ stage: { name: 'dev', noFailedRunsFor: '1h' } }, { runs });
    expect(r).toEqual({
      name: 's',
      type: 'stage',
      pass: false,
      value: 1,
      detail: '1 run failed in dev in the last 1h; the latest at 2026-01-12T11:30:00.000Z (run-b, release rel-run-b)',
    });
    expect(asked).toEqual([{ project: 'demo', stage: 'dev', states: ['failed'], limit: 100 }]);
  });

  it('passes when the last failure is older than the window', async () => {
    const runs = async () => [run('run-a', T0 - 2 * 3_600_000)];
    expect(await sample({ stage: { name: 'dev', noFailedRunsFor: '1h' } }, { runs })).toMatchObject({ pass: true, value: 0, detail: 'no run failed in dev in the last 1h' });
  });

  it('cannot pass where no runs can be read', async () => {
    expect(await sample({ stage: { name: 'dev', noFailedRunsFor: '1h' } })).toMatchObject({ pass: false, value: null, detail: expect.stringMatching(/cannot be read here/) });
  });

  it('needs a stage name and a window', () => {
    expect(problemsOf({ stage: { name: 'Dev' } })).toEqual([
      { field: 'signals[0].stage.name', message: 'name must be a stage of this pipeline (e.g. dev), got "Dev"' },
      { field: 'signals[0].stage.noFailedRunsFor', message: 'noFailedRunsFor is required: how far back no run may have failed, e.g. 1h' },
    ]);
  });
});

describe.skipIf(!prometheusAvailable())(`prometheus and alarm signals against a real Prometheus and Alertmanager ${prometheusSkipReason() ?? ''}`, () => {
  let exporter: Exporter;
  let stack: PrometheusStack;
  let flag: ReturnType<Exporter['gauge']>;
  const RULES = [
    'groups:',
    '  - name: gate',
    '    rules:',
    '      - alert: GateTestAlarm',
    '        expr: gate_alarm_flag > 0',
    '        labels: {severity: page, service: checkout}',
  ].join('\n');

  beforeAll(async () => {
    exporter = await startExporter();
    exporter.gauge('gate_error_ratio', 'errors per request').set(0.002);
    const latency = exporter.gauge('gate_latency_seconds', 'latency', ['route']);
    latency.set({ route: '/a' }, 0.1);
    latency.set({ route: '/b' }, 0.2);
    flag = exporter.gauge('gate_alarm_flag', 'raises the test alert');
    flag.set(0);
    stack = await startPrometheusStack({ targets: [exporter.address], rules: RULES, alertmanager: true });
    await waitForTargetUp(stack.prometheusUrl, exporter.address, 30_000);
    await waitForQuery(stack.prometheusUrl, 'gate_error_ratio', (s) => s.length === 1, 30_000);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await exporter?.close();
  });

  it('a query giving one number is compared with the condition', async () => {
    const url = stack.prometheusUrl;
    expect(await sample({ prometheus: { url, query: 'gate_error_ratio', condition: 'result < 0.01' } })).toEqual({ name: 's', type: 'prometheus', pass: true, value: 0.002, detail: '0.002: result < 0.01' });
    expect(await sample({ prometheus: { url, query: 'gate_error_ratio', condition: '> 0.5' } })).toMatchObject({ pass: false, value: 0.002, detail: 'result 0.002 is not > 0.5' });
  });

  it('no data, many series, a bad query and an unreachable server each fail the sample with the reason', async () => {
    const url = stack.prometheusUrl;
    expect(await sample({ prometheus: { url, query: 'gate_no_such_metric', condition: 'result < 1' } })).toMatchObject({ pass: false, value: null, detail: 'no data: the query returned no series, so result < 1 is not known' });
    expect((await sample({ prometheus: { url, query: 'gate_latency_seconds', condition: 'result < 1' } })).detail).toMatch(/returns 2 series .*route="\/a".*aggregate them/);
    expect((await sample({ prometheus: { url, query: 'sum(', condition: 'result < 1' } })).detail).toMatch(/HTTP 400 .*bad_data/);
    expect((await sample({ prometheus: { url: new URL(await deadUrl()).origin, query: 'up', condition: 'result < 1' } })).detail).toMatch(/is unreachable \(ECONNREFUSED/);
  });

  it('an alarm passes while no alert matching its labels fires, in Prometheus and in Alertmanager', async () => {
    const labels = { service: 'checkout' };
    expect(await sample({ alarm: { prometheus: stack.prometheusUrl, labels } })).toMatchObject({ pass: true, value: 0, detail: 'no alert matching {service="checkout"} is firing' });
    flag.set(1);
    await waitFor('GateTestAlarm to fire in Prometheus', () => sample({ alarm: { prometheus: stack.prometheusUrl, labels } }), (r) => !r.pass, 30_000, 250);
    const firing = await sample({ alarm: { prometheus: stack.prometheusUrl, labels } });
    expect(firing).toMatchObject({ pass: false, value: 1 });
    expect(firing.detail).toMatch(/^1 firing \(alert matching \{service="checkout"\}\): GateTestAlarm since 20/);
    expect(await sample({ alarm: { prometheus: stack.prometheusUrl, labels: { service: 'billing' } } })).toMatchObject({ pass: true });
    await waitForAlertmanagerAlert(stack.alertmanagerUrl!, 'GateTestAlarm', 30_000);
    expect(await sample({ alarm: { alertmanager: stack.alertmanagerUrl, labels: { severity: 'page' } } })).toMatchObject({ pass: false, value: 1 });
    expect(await sample({ alarm: { alertmanager: stack.alertmanagerUrl, labels: { severity: 'ticket' } } })).toMatchObject({ pass: true, value: 0 });
    flag.set(0);
  }, 60_000);

  it('checks its properties at load', () => {
    expect(problemsOf({ prometheus: { url: 'localhost:9090', query: '', condition: 'result =< 1' } }).map((p) => p.field)).toEqual([
      'signals[0].prometheus.url',
      'signals[0].prometheus.query',
      'signals[0].prometheus.condition',
    ]);
    expect(problemsOf({ alarm: { prometheus: 'http://p', alertmanager: 'http://a' } })).toEqual([{ field: 'signals[0].alarm', message: 'alarm reads alerts from one place: give prometheus or alertmanager, not both' }]);
    expect(problemsOf({ alarm: { prometheus: 'http://p', labels: { severity: 3 } } })[0]?.field).toBe('signals[0].alarm.labels');
  });
});
