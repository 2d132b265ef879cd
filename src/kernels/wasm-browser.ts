/**
 * The wasm kernels in a browser. A page's main thread may not block, so there the matrix
 * product runs on that one thread; inside a Web Worker of a cross-origin isolated page (one
 * served with COOP/COEP, as `vae serve` does) it also splits over helper workers that share
 * the module's memory. Nothing here touches Node.
 *
 *   const { kernels, threads } = await loadBrowserWasmKernels(new URL('/wasm/', location.href), {
 *     threads: navigator.hardwareConcurrency, helperUrl: new URL('./wasm-browser-helper.js', import.meta.url) });
 */
import { instantiateWasmKernels, WebAssemblyApi, type HelperStart, type WasmKernels, type WasmModule } from './wasm-core.js';

/** The browser globals used here, typed locally (the project's own lib has no DOM types). */
interface BrowserWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message' | 'error', listener: (event: { data?: unknown; message?: string }) => void): void;
}
interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  document?: unknown;
  Worker?: new (url: URL, options: { type: 'module' }) => BrowserWorker;
  fetch(url: URL): Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

export interface BrowserWasmOptions {
  /** Threads for the matrix product, this one included; more than 1 needs a worker of an isolated page. */
  threads?: number;
  /** The helper script (wasm-browser-helper.js), needed for threads. */
  helperUrl?: URL;
}

/** True where this thread may block on Atomics.wait and share memory with workers. */
export function browserThreadsPossible(): boolean {
  const g = globalThis as unknown as BrowserGlobals;
  return g.crossOriginIsolated === true && g.document === undefined && typeof g.Worker === 'function' && typeof SharedArrayBuffer === 'function';
}

async function compileFrom(base: URL, name: string): Promise<WasmModule> {
  const g = globalThis as unknown as BrowserGlobals;
  const response = await g.fetch(new URL(name, base));
  if (!response.ok) throw new Error(`${new URL(name, base).href}: HTTP ${response.status}`);
  return WebAssemblyApi.compile(await response.arrayBuffer());
}

/**
 * Fetches and instantiates the kernels from `base` (the URL of the wasm/ folder). Helpers are
 * started and waited for before this resolves: a browser may not start a worker while the
 * thread that made it is blocked, as this one is during every threaded product.
 */
export async function loadBrowserWasmKernels(base: URL, options: BrowserWasmOptions = {}): Promise<WasmKernels> {
  const module = await compileFrom(base, 'kernels.wasm');
  const want = Math.max(1, Math.floor(options.threads ?? 1));
  if (want === 1 || options.helperUrl === undefined || !browserThreadsPossible()) return instantiateWasmKernels(module);
  const threadsModule = await compileFrom(base, 'kernels-threads.wasm');
  const g = globalThis as unknown as BrowserGlobals;
  const ready: Array<Promise<void>> = [];
  const made = await instantiateWasmKernels(module, {
    threads: want,
    threadsModule,
    startHelper: (start: HelperStart) => {
      const worker = new g.Worker!(options.helperUrl!, { type: 'module' });
      ready.push(
        new Promise((resolve, reject) => {
          worker.addEventListener('message', () => resolve());
          worker.addEventListener('error', (event) => reject(new Error(`a wasm helper worker failed: ${event.message ?? 'unknown error'}`)));
        }),
      );
      worker.postMessage(start);
    },
  });
  await Promise.all(ready);
  return made;
}
