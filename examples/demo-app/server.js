// A tiny dependency-free HTTP service for demos and tests of the local platform.
// Its behaviour comes from the environment (set by the version's slipway-app.yaml):
//   PORT               the port to listen on (127.0.0.1, or DEMO_HOST)
//   DEMO_VERSION       reported by GET /
//   DEMO_LATENCY_MS    added to every GET / (a slow version)
//   DEMO_FAIL_RATE     share of GET / answered with 500, e.g. 0.2: exactly 1 in 5,
//                      spread evenly, so tests see the same share every run
//   DEMO_UNHEALTHY     when 1 or true, GET /healthz answers 503
//   DEMO_LOG_REQUESTS  when 1 or true, prints a line as each GET / starts
//   DEMO_KNEE          a capacity: a GET / arriving when more than this many arrived in the
//                      last 500 ms waits DEMO_KNEE_MS (default 100) more per request above it,
//                      so latency grows with load past the knee (a version that fails a load test)
// SIGTERM (or SIGINT) stops accepting connections, lets requests in flight finish, then exits.
'use strict';
const http = require('node:http');

const env = process.env;
const flag = (v) => v === '1' || v === 'true';
const version = env.DEMO_VERSION || '0.0.0';
const latencyMs = Number(env.DEMO_LATENCY_MS || 0);
const failRate = Math.min(1, Math.max(0, Number(env.DEMO_FAIL_RATE || 0)));
const unhealthy = flag(env.DEMO_UNHEALTHY);
const logRequests = flag(env.DEMO_LOG_REQUESTS);
const knee = Number(env.DEMO_KNEE || 0);
const kneeMs = Number(env.DEMO_KNEE_MS || 100);
const port = Number(env.PORT || 8080);
const host = env.DEMO_HOST || '127.0.0.1';
// The slot: SLIPWAY_SLOT if set, else the next-to-last segment of the instance id
// (<project>/<stage>/<service>/<slot>/<release>).
const idParts = (env.SLIPWAY_INSTANCE_ID || '').split('/');
const slot = env.SLIPWAY_SLOT || (idParts.length >= 2 ? idParts[idParts.length - 2] : null);

let served = 0;
let inFlight = 0;
let closing = false;

function send(res, status, body) {
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (closing) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

function shouldFail() {
  const n = served++;
  return Math.floor((n + 1) * failRate) > Math.floor(n * failRate);
}

// Arrival times of GET / in the last 500 ms, oldest first (kept only with a knee).
const arrivals = [];
function overloadMs() {
  if (!knee) return 0;
  const now = Date.now();
  arrivals.push(now);
  while (arrivals[0] <= now - 500) arrivals.shift();
  return Math.max(0, arrivals.length - knee) * kneeMs;
}

function answer(req, res) {
  if (req.method === 'GET' && req.url.split('?')[0] === '/healthz') {
    return send(res, unhealthy ? 503 : 200, { status: unhealthy ? 'unhealthy' : 'ok', version });
  }
  if (req.method !== 'GET' || req.url.split('?')[0] !== '/') return send(res, 404, { error: 'not found' });
  inFlight++;
  if (logRequests) console.log(`GET / started (in flight: ${inFlight})`);
  const fail = shouldFail();
  const extraMs = overloadMs();
  setTimeout(() => {
    inFlight--;
    if (fail) send(res, 500, { error: 'injected failure', version });
    else send(res, 200, { version, pid: process.pid, slot });
  }, latencyMs + extraMs);
}

const server = http.createServer(answer);
server.listen(port, host, () => console.log(`demo-app ${version} listening on ${host}:${port}`));

function drain(signal) {
  if (closing) return;
  closing = true;
  console.log(`demo-app ${version}: ${signal}, draining ${inFlight} request(s) in flight`);
  server.close(() => {
    console.log(`demo-app ${version}: stopped`);
    process.exit(0);
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', () => drain('SIGTERM'));
process.on('SIGINT', () => drain('SIGINT'));
