/**
 * The wasm kernels in Node: the modules shipped in wasm/ (built from wasm/kernels.c during
 * `npm install` where clang is present, committed for where it is not), with the matrix
 * product on worker_threads over a shared memory. Loading can fail (a file missing, a runtime
 * without WebAssembly SIMD); the reason is kept so a caller can say why once.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createWasmKernels, WebAssemblyApi, type WasmModule } from './wasm-core.js';
import type { Kernels } from './kernels.js';

/** The modules, from dist/src/kernels/ or src/kernels/ alike. */
export const WASM_DIR = new URL('../../../wasm/', import.meta.url);
const WORKER_URL = new URL('./wasm-worker.js', import.meta.url);

export interface WasmInfo {
  /** Threads the matrix product runs on. */
  threads: number;
}

export type WasmLoad = { ok: true; kernels: Kernels; info: WasmInfo } | { ok: false; reason: string };

const cache = new Map<number, WasmLoad>();

/** Every core, or VAE_NUM_THREADS when set (the cap the native addon honours too). */
function defaultThreads(): number {
  const cap = Number(process.env.VAE_NUM_THREADS);
  return Number.isInteger(cap) && cap >= 1 ? Math.min(cap, availableParallelism()) : availableParallelism();
}

/**
 * Loads the wasm kernels with the matrix product on `threads` threads (default: every core,
 * or VAE_NUM_THREADS; 1 where shared memory is missing). Each thread count is loaded once.
 */
export function loadWasmKernels(threads = defaultThreads()): WasmLoad {
  const want = Math.max(1, Math.floor(threads));
  let loaded = cache.get(want);
  if (loaded === undefined) {
    loaded = load(want);
    cache.set(want, loaded);
  }
  return loaded;
}

function compile(name: string): WasmModule {
  return new WebAssemblyApi.Module(readFileSync(new URL(name, WASM_DIR)));
}

function load(threads: number): WasmLoad {
  let module: WasmModule;
  try {
    module = compile('kernels.wasm');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'wasm/kernels.wasm is missing' : (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { ok: false, reason: `the wasm kernels did not load: ${message}` };
  }
  let threadsModule: WasmModule | undefined;
  if (threads > 1 && typeof SharedArrayBuffer === 'function') {
    try {
      threadsModule = compile('kernels-threads.wasm');
    } catch {
      // one thread, then
    }
  }
  let made;
  try {
    made = createWasmKernels(module, {
      threads,
      threadsModule,
      startHelper: (start) => {
        const worker = new Worker(WORKER_URL, { workerData: start });
        // The helpers wait for work forever; they must not keep the process alive.
        worker.unref();
      },
    });
  } catch (err) {
    // Instantiating can fail too: a memory the runtime will not reserve, a worker it will not start.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { ok: false, reason: `the wasm kernels did not load: ${message}` };
  }
  return { ok: true, kernels: made.kernels, info: { threads: made.threads } };
}
