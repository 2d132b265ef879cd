/**
 * The explorer's HTTP server, on node:http alone. Every route is an exact path; everything
 * else is 404. It hands out the web app, the model's weights for decoding in the page, the
 * test set's encodings, the run's files by plain name, and, while training, a stream of
 * server-sent events and a stop button.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UserError } from '../errors.js';
import type { EventHub } from './event-hub.js';
import { nameUnder, plainPath } from './request-path.js';
import type { RunSource } from './run-source.js';
import type { Asset, WebApp } from './static-assets.js';
import { trainPageRoute } from './train-page.js';

/** No route takes more than a few bytes of body; anything larger is refused. */
export const MAX_BODY_BYTES = 1024;

/** What a server running beside `vae train --ui` adds: the event stream and a way to stop. */
export interface LiveTraining {
  hub: EventHub;
  /** Asks training to stop after its current step; false when it is not running any more. */
  stop(): boolean;
}

export interface ServerOptions {
  run: RunSource;
  web: WebApp;
  live?: LiveTraining;
}

const PAGE_SECURITY = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

export function createExplorerServer(options: ServerOptions): Server {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      if (!(err instanceof UserError)) process.stderr.write(`vae serve: error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}\n`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, err instanceof UserError ? 503 : 500, { error: err instanceof UserError ? err.message : 'internal error' });
    });
  });
  // Idle keep-alive sockets of long-gone pages should not hold the process open.
  server.keepAliveTimeout = 5000;
  return server;
}

async function handle(options: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!(declared <= MAX_BODY_BYTES)) {
    refuseBody(res);
    return;
  }
  const path = plainPath(req.url);
  if (path === null) return notFound(res);
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';

  if (path === '/api/stop') {
    if (options.live === undefined) return notFound(res);
    if (method !== 'POST') return notAllowed(res, 'POST');
    if (!(await readSmallBody(req, res))) return;
    const stopping = options.live.stop();
    return sendJson(res, stopping ? 202 : 409, stopping ? { stopping: true } : { error: 'training is not running' });
  }

  const route = routeFor(options, path);
  if (route === null) return notFound(res);
  if (!read) return notAllowed(res, 'GET, HEAD');
  if (!(await readSmallBody(req, res))) return;
  await route(req, res);
}

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

function routeFor({ run, web, live }: ServerOptions, path: string): Route | null {
  const training = trainPageRoute(path);
  if (training !== null) return training;
  switch (path) {
    case '/':
    case '/index.html':
      return (_req, res) => sendAsset(res, web.explorer, PAGE_SECURITY);
    case '/live':
      return live === undefined ? null : (_req, res) => sendAsset(res, web.live, PAGE_SECURITY);
    case '/api/info':
      return (_req, res) => sendJson(res, 200, info(run, live !== undefined));
    case '/api/model':
      return (_req, res) => {
        const loaded = run.model();
        if (loaded === null) return sendJson(res, 404, { error: 'no checkpoint yet: the first is written when epoch 1 ends' });
        send(res, 200, Buffer.from(loaded.payload.buffer, loaded.payload.byteOffset, loaded.payload.byteLength), {
          'content-type': 'application/octet-stream',
          'x-model-version': loaded.version,
        });
      };
    case '/api/encodings':
      return async (_req, res) => {
        const loaded = run.model();
        if (loaded === null) return sendJson(res, 404, { error: 'no checkpoint yet' });
        const encodings = await run.encodings(loaded);
        sendJson(res, 200, { version: loaded.version, ...encodings });
      };
    case '/api/events':
      return live === undefined ? null : (req, res) => live.hub.attach(req, res);
  }
  const asset = nameUnder(path, '/assets/');
  if (asset !== null) {
    const found = web.assets.get(asset);
    return found === undefined ? null : (_req, res) => sendAsset(res, found, {});
  }
  const file = nameUnder(path, '/files/');
  if (file !== null) {
    return (_req, res) => {
      const found = run.file(file);
      if (found === null) return notFound(res);
      send(res, 200, found.bytes, { 'content-type': found.type });
    };
  }
  return null;
}

function info(run: RunSource, live: boolean): unknown {
  const loaded = run.model();
  return {
    live,
    model:
      loaded === null
        ? null
        : {
            version: loaded.version,
            epoch: loaded.state.epoch,
            epochs: loaded.state.config.training.epochs,
            dataset: loaded.state.config.training.dataset,
            config: loaded.state.model.config,
          },
    files: run.filesDir === null ? [] : ['metrics.jsonl', 'config.json', 'samples.png', 'reconstructions.png'].filter((n) => run.file(n) !== null),
  };
}

/**
 * Reads (and discards) a body of at most MAX_BODY_BYTES. A chunked body that grows past
 * the limit gets 413 and the connection is closed; resolves false then.
 */
function readSmallBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !refused) {
        refused = true;
        refuseBody(res);
        resolve(false);
      }
    });
    req.on('end', () => {
      if (!refused) resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}

function refuseBody(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  sendJson(res, 413, { error: `request body larger than ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: 'not found' });
}

function notAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: 'method not allowed' }, { allow });
}

function sendAsset(res: ServerResponse, asset: Asset, headers: Record<string, string>): void {
  send(res, 200, asset.bytes, { 'content-type': asset.type, ...headers });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

function send(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(status, {
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** Starts listening; resolves to the page's URL. Address problems become one-line user errors. */
export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${port} is already in use; choose another with --port`
          : err.code === 'EACCES'
            ? `no permission to listen on port ${port}; choose one above 1023 with --port`
            : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
              ? `cannot listen on host ${host}: not an address of this machine`
              : `cannot listen on ${host}:${port}: ${err.message}`;
      reject(new UserError(why));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      resolve(`http://${shown}:${actual}/`);
    });
  });
}

/** Stops accepting, ends the event streams, and drops idle connections. */
export async function shutdown(server: Server, hub?: EventHub): Promise<void> {
  await hub?.close();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
