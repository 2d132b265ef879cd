/**
 * The server of `vae collect`, on node:http alone: the drawing page, the gallery, and a
 * folder of samples (src/collect/sample-folder.ts) that phones add to and the gallery reads
 * and prunes. Every route is an exact path; everything else is 404. The request guard
 * (guard.ts) decides first whether a request counts at all: own Host names only, the page's
 * token and Origin on every submission and deletion, and the token on every route once the
 * server listens beyond loopback, as it does for a room of phones.
 *
 * A submission is bounded before it costs anything: a per-client rate, then a declared
 * length over the limit is refused at once, a body growing past it is dropped as it comes,
 * and nothing reaches the folder before the whole body has arrived and decoded, so an
 * upload cut off midway leaves nothing behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { SAMPLE_FRAME, type SampleFrame } from '../collect/ink.js';
import { RateLimit } from '../collect/rate-limit.js';
import { parseSampleName, type SampleFolder } from '../collect/sample-folder.js';
import { sampleFromPng, SubmissionRefused } from '../collect/submission.js';
import { CLIENT_TIMEOUTS, PAGE_SECURITY, registerGuard, type ClientTimeouts } from './app.js';
import { MAX_BODY_BYTES, notAllowed, notFound, readSmallBody, refuseBody, send, sendAsset, sendJson } from './responses.js';
import { RequestGuard } from './guard.js';
import { contentType, nameUnder, plainPath } from './request-path.js';
import { WEB_DIR, type Asset } from './static-assets.js';

/** A drawing of the pad (1024 x 256) is a few tens of kilobytes; a hundred times that is plenty. */
export const MAX_SUBMISSION_BYTES = 2 * 1024 * 1024;
/** Submissions per client per minute, unless --rate says otherwise: one every two seconds. */
export const DEFAULT_RATE = 30;

/** What the server did with a request that concerns the folder, for the terminal's log. */
export type CollectEvent =
  | { kind: 'saved'; file: string; client: string }
  | { kind: 'refused'; status: number; reason: string; client: string }
  | { kind: 'aborted'; client: string }
  | { kind: 'deleted'; file: string; client: string };

export interface CollectPages {
  collect: Asset;
  gallery: Asset;
  /** Scripts, styles and source maps by file name: only the two pages' own. */
  assets: Map<string, Asset>;
}

export interface CollectServerOptions {
  folder: SampleFolder;
  /** The word people are asked to write, shown on both pages. */
  prompt: string;
  pages: CollectPages;
  /** Whose requests count; by default loopback names only, with a fresh token. */
  guard?: RequestGuard;
  /** Submissions per client (remote address) per minute. */
  rate?: number;
  maxBytes?: number;
  frame?: SampleFrame;
  timeouts?: Partial<Pick<ClientTimeouts, 'headers' | 'request'>>;
  onEvent?: (event: CollectEvent) => void;
}

interface Serving {
  folder: SampleFolder;
  pages: CollectPages;
  guard: RequestGuard;
  rate: RateLimit;
  maxBytes: number;
  frame: SampleFrame;
  onEvent: (event: CollectEvent) => void;
}

const PAGE_ASSETS = ['style.css', 'collect.css', 'collect.js', 'gallery.js'];
/**
 * The explorer's page headers less cross-origin isolation, which exists there for wasm
 * threads: these pages run none, and phones reach them over plain http on a LAN address,
 * where browsers ignore the opener policy and complain about it on every load.
 */
const { 'cross-origin-opener-policy': _opener, 'cross-origin-embedder-policy': _embedder, ...COLLECT_PAGE_SECURITY } = PAGE_SECURITY;
const TOKEN_META = '<meta name="vae-token" content="">';
const PROMPT_META = '<meta name="collect-prompt" content="">';
const PROMPT_HEADING = '<h1 id="prompt"></h1>';

/** The two pages and their assets from the built web app (dist/web). */
export function loadCollectPages(dir = WEB_DIR): CollectPages {
  const read = (path: string): Asset => {
    if (!existsSync(path)) throw new UserError(`the web app is not built (${path} is missing); run npm install or npm run build`);
    return { bytes: readFileSync(path), type: contentType(path)! };
  };
  const assets = new Map<string, Asset>();
  for (const name of PAGE_ASSETS) {
    assets.set(name, read(join(dir, 'assets', name)));
    const map = join(dir, 'assets', `${name}.map`);
    if (existsSync(map)) assets.set(`${name}.map`, read(map));
  }
  return { collect: read(join(dir, 'collect.html')), gallery: read(join(dir, 'gallery.html')), assets };
}

export function createCollectServer(options: CollectServerOptions): Server {
  const guard = options.guard ?? new RequestGuard();
  const fill = (page: Asset): Asset => ({ ...page, bytes: Buffer.from(fillPage(page.bytes.toString('utf8'), guard.token, options.prompt)) });
  const serving: Serving = {
    folder: options.folder,
    pages: { ...options.pages, collect: fill(options.pages.collect), gallery: fill(options.pages.gallery) },
    guard,
    rate: new RateLimit(options.rate ?? DEFAULT_RATE),
    maxBytes: options.maxBytes ?? MAX_SUBMISSION_BYTES,
    frame: options.frame ?? SAMPLE_FRAME,
    onEvent: options.onEvent ?? (() => undefined),
  };
  const timeouts = { ...CLIENT_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    { headersTimeout: timeouts.headers, requestTimeout: timeouts.request, connectionsCheckingInterval: Math.min(1000, timeouts.headers) },
    (req, res) => {
      handle(serving, req, res).catch((err: unknown) => {
        if (!(err instanceof UserError)) process.stderr.write(`vae collect: error on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}\n`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendJson(res, 500, { error: err instanceof UserError ? err.message : 'internal error' });
      });
    },
  );
  server.keepAliveTimeout = 5000;
  registerGuard(server, guard);
  return server;
}

/** The page with its token, and the prompt in its heading and meta tag (escaped: it is the user's text). */
function fillPage(html: string, token: string, prompt: string): string {
  for (const marker of [TOKEN_META, PROMPT_META]) if (!html.includes(marker)) throw new Error(`a collect page lacks ${marker}`);
  const text = escapeHtml(prompt);
  return html
    .replace(TOKEN_META, `<meta name="vae-token" content="${token}">`)
    .replace(PROMPT_META, `<meta name="collect-prompt" content="${text}">`)
    .replace(PROMPT_HEADING, `<h1 id="prompt">${text}</h1>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function handle(o: Serving, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  const verdict = o.guard.check(req);
  if (!verdict.allowed) {
    res.shouldKeepAlive = false;
    send(res, verdict.status, Buffer.from(`${verdict.reason}\n`), { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    return;
  }
  if (verdict.setCookie !== null) res.setHeader('set-cookie', verdict.setCookie);
  const path = plainPath(req.url);
  const method = req.method ?? 'GET';
  if (path === '/api/samples' && method === 'POST') return submit(o, req, res);

  if (!(Number(req.headers['content-length'] ?? 0) <= MAX_BODY_BYTES)) return refuseBody(res, MAX_BODY_BYTES);
  if (path === null) return notFound(res);
  const read = method === 'GET' || method === 'HEAD';
  if (path === '/api/samples') {
    if (!read) return notAllowed(res, 'GET, HEAD, POST');
    if (!(await readSmallBody(req, res))) return;
    return sendJson(res, 200, o.folder.list());
  }
  if (path.startsWith('/api/samples/')) {
    if (method !== 'DELETE') return notAllowed(res, 'DELETE');
    if (!(await readSmallBody(req, res))) return;
    const name = nameUnder(path, '/api/samples/');
    const client = clientOf(req);
    if (name === null || parseSampleName(name) === null) {
      const reason = `only collected samples (${o.folder.slug}-0001.png and the like) can be deleted`;
      o.onEvent({ kind: 'refused', status: 400, reason, client });
      return sendJson(res, 400, { error: reason });
    }
    if (!o.folder.remove(name)) return sendJson(res, 404, { error: `no sample ${name}` });
    o.onEvent({ kind: 'deleted', file: name, client });
    return sendJson(res, 200, { deleted: name });
  }

  const route = routeFor(o, path);
  if (route === null) return notFound(res);
  if (!read) return notAllowed(res, 'GET, HEAD');
  if (!(await readSmallBody(req, res))) return;
  route(res);
}

function routeFor(o: Serving, path: string): ((res: ServerResponse) => void) | null {
  switch (path) {
    case '/':
    case '/index.html':
      return (res) => sendAsset(res, o.pages.collect, COLLECT_PAGE_SECURITY);
    case '/gallery':
      return (res) => sendAsset(res, o.pages.gallery, COLLECT_PAGE_SECURITY);
  }
  const asset = nameUnder(path, '/assets/');
  if (asset !== null) {
    const found = o.pages.assets.get(asset);
    return found === undefined ? null : (res) => sendAsset(res, found, {});
  }
  const sample = nameUnder(path, '/samples/');
  if (sample !== null) {
    return (res) => {
      const bytes = o.folder.read(sample);
      if (bytes === null) return notFound(res);
      send(res, 200, bytes, { 'content-type': 'image/png' });
    };
  }
  return null;
}

async function submit(o: Serving, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const client = clientOf(req);
  const refuse = (status: number, reason: string, headers: Record<string, string> = {}): void => {
    o.onEvent({ kind: 'refused', status, reason, client });
    // The rest of a refused body is read and dropped by node:http before the connection takes
    // another request (within the request timeout), so the sender reads this answer rather
    // than a reset connection.
    sendJson(res, status, { error: reason }, headers);
  };
  const wait = o.rate.take(client);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    return refuse(429, `too many drawings from this device: at most ${o.rate.limit} a minute; try again in ${seconds} s`, { 'retry-after': String(seconds) });
  }
  const tooLarge = `the drawing is larger than ${o.maxBytes} bytes`;
  if (Number(req.headers['content-length'] ?? 0) > o.maxBytes) return refuse(413, tooLarge);
  const body = await readBody(req, o.maxBytes);
  if (body === 'aborted') {
    o.onEvent({ kind: 'aborted', client });
    res.destroy();
    return;
  }
  if (body === 'too-large') return refuse(413, tooLarge);
  let file: string;
  try {
    file = o.folder.save(sampleFromPng(body, o.frame), o.frame);
  } catch (err) {
    if (err instanceof SubmissionRefused) return refuse(err.status, err.message);
    if (err instanceof UserError) return refuse(500, err.message);
    throw err;
  }
  o.onEvent({ kind: 'saved', file, client });
  sendJson(res, 201, { file });
}

/**
 * The whole body, or 'too-large' as soon as it passes `limit` (what came is dropped, the
 * rest is not kept), or 'aborted' when the client goes away before its end.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: Buffer | 'too-large' | 'aborted'): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      req.off('data', onData);
      // Still flowing, with no listener: the rest is read and discarded.
      req.resume();
      settle('too-large');
    };
    req.on('data', onData);
    req.on('end', () => settle(Buffer.concat(chunks, size)));
    req.on('close', () => {
      if (!req.complete) settle('aborted');
    });
    req.on('error', () => settle('aborted'));
  });
}

/** The remote address: what the rate limit counts by (a proxy in front makes everyone one client). */
function clientOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}




