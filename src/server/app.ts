/**
 * The explorer's HTTP server, on node:http alone. Every route is an exact path; everything
 * else is 404. It hands out the web app, the model's weights for decoding in the page, the
 * encodings and measures of the images the plane shows (and a small collection's pictures),
 * the run's files by plain name, and, while training, a stream of
 * server-sent events and a stop button. Before any route, the request guard decides whether
 * the request counts at all (guard.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { UserError } from '../errors.js';
import type { EventHub } from './event-hub.js';
import { RequestGuard } from './guard.js';
import { nameUnder, plainPath } from './request-path.js';
import { SMALL_COLLECTION, type RunSource } from './run-source.js';
import type { Asset, WebApp } from './static-assets.js';
import { trainPageRoute } from './train-page.js';
import { pageDataOf } from './page-data.js';
import { MAX_BODY_BYTES, notAllowed, notFound, readSmallBody, refuseBody, send, sendAsset, sendJson } from './responses.js';

export { MAX_BODY_BYTES } from './responses.js';

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
  /** Whose requests count; by default loopback names only, with a fresh token. */
  guard?: RequestGuard;
  /** How long a client may be slow before it is dropped; CLIENT_TIMEOUTS for any not given. */
  timeouts?: Partial<ClientTimeouts>;
}

/**
 * How long a client may be slow, in milliseconds, before its connection is dropped: so a
 * client that never finishes its request, or stops reading a download, holds a socket (and
 * at most one file handle) for a bounded time. The live feed is exempt: its request is
 * complete at once, and it is meant to stay open, quiet, for as long as an epoch takes.
 */
export interface ClientTimeouts {
  /** To send the request's headers. */
  headers: number;
  /** To send the whole request, headers and its small body. */
  request: number;
  /** To read some of a /files/ download, before it is dropped with its file handle. */
  fileIdle: number;
}

export const CLIENT_TIMEOUTS: Readonly<ClientTimeouts> = { headers: 10_000, request: 30_000, fileIdle: 30_000 };

type ServingOptions = ServerOptions & { guard: RequestGuard; timeouts: ClientTimeouts };

/** The token placeholder of web/*.html, filled by the server that hands the page out. */
const TOKEN_META = '<meta name="vae-token" content="">';

/** The headers of the pages the explorer hands out (vae collect takes them less cross-origin isolation). */
export const PAGE_SECURITY = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  // Cross-origin isolation, so that a page may use SharedArrayBuffer (WebAssembly threads);
  // everything the pages load is same-origin, so require-corp costs nothing.
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

const guards = new WeakMap<Server, RequestGuard>();

/** The guard of a server made by createExplorerServer. */
export function guardOf(server: Server): RequestGuard {
  const guard = guards.get(server);
  if (guard === undefined) throw new Error('not a server made by createExplorerServer');
  return guard;
}

/** Lets listen() and guardOf() serve another page server (vae collect's) with its guard. */
export function registerGuard(server: Server, guard: RequestGuard): void {
  guards.set(server, guard);
}

export function createExplorerServer(serverOptions: ServerOptions): Server {
  const guard = serverOptions.guard ?? new RequestGuard();
  // The pages carry the token for their state-changing requests; filled in once, here.
  const web = { ...serverOptions.web, explorer: withToken(serverOptions.web.explorer, guard.token), live: withToken(serverOptions.web.live, guard.token) };
  const timeouts = { ...CLIENT_TIMEOUTS, ...serverOptions.timeouts };
  const options: ServingOptions = { ...serverOptions, web, guard, timeouts };
  const limits = {
    headersTimeout: timeouts.headers,
    requestTimeout: timeouts.request,
    // Node checks those two only this often (30 s by default), which would stretch the bounds.
    connectionsCheckingInterval: Math.min(1000, timeouts.headers),
  };
  const server = createServer(limits, (req, res) => {
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
  guards.set(server, guard);
  return server;
}

function withToken(page: Asset, token: string): Asset {
  const html = page.bytes.toString('utf8');
  if (!html.includes(TOKEN_META)) throw new Error(`a page of the web app lacks ${TOKEN_META}`);
  return { ...page, bytes: Buffer.from(html.replace(TOKEN_META, `<meta name="vae-token" content="${token}">`)) };
}

async function handle(options: ServingOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // No other site may embed or read anything of this server, page or file (no-cors loads included).
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  const verdict = options.guard.check(req);
  if (!verdict.allowed) {
    res.shouldKeepAlive = false;
    send(res, verdict.status, Buffer.from(`${verdict.reason}\n`), { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    return;
  }
  if (verdict.setCookie !== null) res.setHeader('set-cookie', verdict.setCookie);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!(declared <= MAX_BODY_BYTES)) {
    refuseBody(res, MAX_BODY_BYTES);
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

function routeFor({ run, web, live, timeouts }: ServingOptions, path: string): Route | null {
  const training = trainPageRoute(path, web);
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
    case '/api/measures':
      return async (_req, res) => {
        const loaded = run.model();
        if (loaded === null) return sendJson(res, 404, { error: 'no checkpoint yet' });
        sendJson(res, 200, await run.measures(loaded));
      };
    case '/api/thumbnails':
      return (req, res) => {
        const loaded = run.model();
        if (loaded === null) return sendJson(res, 404, { error: 'no checkpoint yet' });
        const thumbnails = run.thumbnails(loaded);
        if (thumbnails === null) return sendJson(res, 404, { error: `the plane shows pictures for collections of at most ${SMALL_COLLECTION} images; this one shows dots` });
        // Mostly background, so they pack well: the bytes of 300 word pictures shrink about tenfold.
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const bytes = Buffer.from(thumbnails.bytes.buffer, thumbnails.bytes.byteOffset, thumbnails.bytes.byteLength);
        send(res, 200, gzip ? gzipSync(bytes) : bytes, {
          'content-type': 'application/octet-stream',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          vary: 'accept-encoding',
          'x-thumbnail-count': String(thumbnails.count),
          'x-thumbnail-channels': String(thumbnails.channels),
          'x-thumbnail-height': String(thumbnails.height),
          'x-thumbnail-width': String(thumbnails.width),
        });
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
    return (req, res) => sendFile(run, file, req, res, timeouts.fileIdle);
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
            // A run whose length was given in steps (small collections) is spoken of in steps.
            ...(loaded.state.config.training.steps !== undefined ? { steps: loaded.state.optimizer.step } : {}),
            dataset: loaded.state.config.training.dataset,
            config: loaded.state.model.config,
            data: pageDataOf(loaded.state.config),
          },
    files:
      run.filesDir === null
        ? []
        : ['metrics.jsonl', 'config.json', 'samples.png', 'reconstructions.png', 'factors.json', 'latent_traversals.png'].filter((n) => run.hasFile(n)),
  };
}


/**
 * A run file, streamed: a 100 MB checkpoint costs a read buffer per download, not 100 MB.
 * The length is the file's size when opened; a file that shrinks meanwhile ends the
 * connection rather than sending a short body under a longer Content-Length.
 */
async function sendFile(run: RunSource, name: string, req: IncomingMessage, res: ServerResponse, idleMs: number): Promise<void> {
  const file = await run.openFile(name);
  if (file === null) return notFound(res);
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': String(file.size),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD' || file.size === 0) {
    await file.handle.close();
    res.end();
    return;
  }
  // The socket's idle timer, for this response only: the server resets it for the connection's next request.
  res.setTimeout(idleMs, () => res.destroy());
  const stream = file.handle.createReadStream({ start: 0, end: file.size - 1 });
  try {
    await pipeline(stream, res, { end: false });
  } catch {
    // The client went away, or the read failed: nothing more can be said on this response.
    res.destroy();
    return;
  }
  if (stream.bytesRead === file.size) res.end();
  else res.destroy();
}




/**
 * Starts listening; resolves to the page's URL (with the token when beyond loopback; the
 * guard's urls() has every address). Address problems become one-line user errors.
 */
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
      if (typeof address !== 'object' || address === null) throw new Error('a TCP server without an address');
      const guard = guardOf(server);
      guard.bind(host, address.address, address.port);
      resolve(guard.urls('/')[0]!);
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
