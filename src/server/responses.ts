/**
 * The answers both servers (the explorer's and `vae collect`'s) give in the same words: JSON
 * bodies, pages and scripts, refusals of a route, a method or a body too large, and the small
 * request bodies their state-changing routes may carry. Nothing a client sends is cached or
 * sniffed into another type.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Asset } from './static-assets.js';

/** No body of a small-bodied route is larger than this; a larger one is refused. */
export const MAX_BODY_BYTES = 1024;

export function send(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': String(body.length), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

export function sendAsset(res: ServerResponse, asset: Asset, headers: Record<string, string>): void {
  send(res, 200, asset.bytes, { 'content-type': asset.type, ...headers });
}

export function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: 'not found' });
}

export function notAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: 'method not allowed' }, { allow });
}

/** 413, and the connection closed: the rest of the body is not read. */
export function refuseBody(res: ServerResponse, limit: number): void {
  res.shouldKeepAlive = false;
  sendJson(res, 413, { error: `request body larger than ${limit} bytes` }, { connection: 'close' });
}

/**
 * Reads (and discards) a body of at most MAX_BODY_BYTES. A chunked body that grows past
 * the limit gets 413 and the connection is closed; resolves false then.
 */
export function readSmallBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !refused) {
        refused = true;
        refuseBody(res, MAX_BODY_BYTES);
        resolve(false);
      }
    });
    req.on('end', () => {
      if (!refused) resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}
