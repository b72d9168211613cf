/**
 * Upgrades (websockets) pass through as a byte tunnel: the handshake goes to the upstream with
 * its `connection: upgrade` and `upgrade` headers kept, and from then on bytes flow both ways
 * untouched until either side closes. The status the upstream answers the handshake with (101
 * when it accepts) and the time it took are what the slot's metrics count.
 */
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Done } from './forward.js';
import type { Upstream } from './types.js';

const BAD_GATEWAY = 'HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

export function requestHead(req: IncomingMessage, headers: readonly string[]): string {
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Tunnels an upgrade to `upstream`; `tunnels` holds the client socket while it is open. */
export function tunnel(req: IncomingMessage, socket: Duplex, early: Buffer, upstream: Upstream, headers: readonly string[], done: Done, tunnels: Set<Duplex>): void {
  const conn = connect({ host: upstream.host, port: upstream.port });
  let answered = false;
  tunnels.add(socket);
  socket.on('error', () => conn.destroy());
  socket.once('close', () => {
    tunnels.delete(socket);
    conn.destroy();
    if (!answered) done(499);
    answered = true;
  });
  conn.on('error', (err) => {
    if (answered) return void socket.destroy();
    answered = true;
    done(502, err);
    socket.end(BAD_GATEWAY);
  });
  conn.once('close', () => {
    if (answered) socket.destroy();
  });
  conn.once('connect', () => {
    conn.setNoDelay(true);
    conn.write(requestHead(req, headers));
    if (early.length > 0) conn.write(early);
    socket.pipe(conn);
  });
  conn.once('data', (first: Buffer) => {
    const status = Number(first.toString('latin1', 9, 12));
    if (!answered) done(Number.isInteger(status) && status >= 100 ? status : 502);
    answered = true;
    socket.write(first);
    conn.pipe(socket);
  });
}
