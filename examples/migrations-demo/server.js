// A small app whose versions read and write one SQLite table across an expand/contract change
// (docs/migrations.md): the column `name` becomes `title`.
//   1.0.0 (DEMO_COLUMN=name)  writes and reads items(name)
//   2.0.0 (DEMO_COLUMN=title) writes and reads items(title)
// Every GET / writes a row and answers 500 when the table lacks its column or when any row
// lacks a value in its column (a write by the other version that the schema did not carry
// over): an incompatible schema shows as failed requests.
//   PORT, DEMO_DB (the SQLite file), DEMO_VERSION, DEMO_COLUMN
'use strict';
const http = require('node:http');
const Database = require('better-sqlite3');

const env = process.env;
const version = env.DEMO_VERSION || '0.0.0';
const column = env.DEMO_COLUMN === 'title' ? 'title' : 'name';
const db = new Database(env.DEMO_DB || 'shop.db');
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 10000');

let n = 0;
function visit() {
  // Prepared per request: a statement prepared before a schema change would hide it.
  db.prepare(`INSERT INTO items (${column}) VALUES (?)`).run(`${version}-${process.pid}-${n++}`);
  const missing = db.prepare(`SELECT count(*) AS n FROM items WHERE ${column} IS NULL`).get().n;
  if (missing > 0) throw new Error(`${missing} row(s) have no ${column}: the schema did not carry another version's writes over`);
  return db.prepare('SELECT count(*) AS n FROM items').get().n;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/healthz') return send(res, 200, { status: 'ok', version });
  if (req.method !== 'GET' || path !== '/') return send(res, 404, { error: 'not found' });
  try {
    send(res, 200, { version, column, rows: visit() });
  } catch (e) {
    send(res, 500, { version, error: String(e.message || e) });
  }
});
server.listen(Number(env.PORT || 8080), '127.0.0.1', () => console.log(`migrations-demo ${version} (${column}) listening`));
function stop() {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
