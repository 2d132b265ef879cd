/**
 * For the tests of `vae collect` (src/server/collect-app.ts, src/collect/):
 *
 *   await startCollect(options)   a collect server in-process, on a fresh folder, listening on
 *                                 a free port of `host` (127.0.0.1 unless given); its events
 *                                 recorded, close() to stop it.
 *   await send(port, path, opts)  one HTTP request through 127.0.0.1 with exactly the headers
 *                                 given (Host included), resolving to status, headers and body.
 *   boxDrawing(...)               a 1024 x 256 RGBA drawing of black rectangles on white, as PNG.
 *   listing(dir)                  every entry of a folder, dot-files included, sorted.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SampleFolder, slugOf } from '../../src/collect/sample-folder.js';
import { createCollectServer, loadCollectPages, type CollectEvent } from '../../src/server/collect-app.js';
import { listen, shutdown } from '../../src/server/app.js';
import { RequestGuard } from '../../src/server/guard.js';

export interface RunningCollect {
  server: Server;
  port: number;
  dir: string;
  guard: RequestGuard;
  events: CollectEvent[];
  /** The headers of a state-changing request from the page: Host, Origin and the token. */
  own(): Record<string, string>;
  close(): Promise<void>;
}

export async function startCollect(
  root: string,
  options: { host?: string; rate?: number; prompt?: string; allowHosts?: string[]; maxBytes?: number; name?: string; timeouts?: { headers?: number; request?: number } } = {},
): Promise<RunningCollect> {
  const dir = join(root, options.name ?? `samples-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  const prompt = options.prompt ?? 'hello';
  const guard = new RequestGuard({ allowHosts: options.allowHosts ?? [] });
  const events: CollectEvent[] = [];
  const server = createCollectServer({
    folder: new SampleFolder(dir, slugOf(prompt)),
    prompt,
    pages: loadCollectPages(),
    guard,
    rate: options.rate,
    maxBytes: options.maxBytes,
    timeouts: options.timeouts,
    onEvent: (e) => events.push(e),
  });
  await listen(server, options.host ?? '127.0.0.1', 0);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    server,
    port,
    dir,
    guard,
    events,
    own: () => ({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'x-vae-token': guard.token }),
    close: () => shutdown(server),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON, or undefined when it is not. */
  json(): unknown;
}

export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, agent: false, localAddress: options.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            json: () => {
              try {
                return JSON.parse(body.toString('utf8')) as unknown;
              } catch {
                return undefined;
              }
            },
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const PAD = { width: 1024, height: 256 };

/** A pad-sized drawing (or `size`) of black rectangles [x0, y0, x1, y1) on white, as PNG bytes. */
export function boxDrawing(boxes: Array<[number, number, number, number]>, size: { width: number; height: number } = PAD): Buffer {
  const png = new PNG({ width: size.width, height: size.height });
  png.data.fill(255);
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) png.data.fill(0, 4 * (y * size.width + x), 4 * (y * size.width + x) + 3);
    }
  }
  return PNG.sync.write(png);
}

export function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Polls `check` every 20 ms until it holds, failing after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
