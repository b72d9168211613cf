/**
 * Forwards one request to an upstream over its keep-alive pool and streams the answer back:
 * undici writes the request body as the client sends it, and each response chunk goes to the
 * client as it arrives, pausing the upstream while the client's socket is full. Nothing is
 * buffered whole. An upstream that cannot be reached, or fails before answering, becomes a 502.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { clientHeaders, type HeaderRecord } from './headers.js';

/** Called once per request with the status the client got (499 when the client left first). */
export type Done = (status: number, error?: Error) => void;

/** nginx's code for "the client closed the connection before the answer ended". */
export const CLIENT_CLOSED = 499;

export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** An answer from the router itself: plain text naming the reason. */
export function routerAnswer(res: ServerResponse, status: number, reason: string): void {
  const body = `slipway router: ${reason}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly done: Done,
    private readonly setCookie: string | undefined,
  ) {
    res.once('close', this.onClientClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.ended) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: HeaderRecord, message?: string): void {
    if (status < 200) return;
    this.status = status;
    const list = clientHeaders(headers, this.setCookie);
    if (message) this.res.writeHead(status, message, list);
    else this.res.writeHead(status, list);
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      c.pause();
      this.res.once('drain', () => c.resume());
    }
  }

  onResponseEnd(): void {
    this.finish(this.status);
    this.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.ended) return;
    this.finish(502, err);
    if (this.res.headersSent) this.res.destroy(err);
    else routerAnswer(this.res, 502, 'the upstream did not answer');
  }

  private finish(status: number, err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.done(status, err);
  }

  private readonly onClientClose = (): void => {
    if (this.ended) return;
    this.finish(CLIENT_CLOSED);
    this.controller?.abort(new Error('client closed the connection'));
  };
}
