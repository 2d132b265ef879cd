/**
 * The portable kernels on every core, for Node: the same TypeScript matrix product, with the
 * columns of C split between this thread and worker threads. A and B are copied into shared
 * memory (a memcpy, against tens of milliseconds of arithmetic); each thread packs its own
 * band of B's columns and computes that band of C; this thread waits on an Atomics flag, so
 * the Kernels interface stays synchronous. Every element of C is computed by the same code
 * in the same order as on one thread, so the results are bit-identical to `jsKernels`.
 *
 * Browsers keep plain `jsKernels` (their main thread may not block on Atomics).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { gemmPackedNT, jsKernels, transposeColumns } from './js.js';
import type { Kernels } from './kernels.js';
import { BUFFERS, CONTROL_SLOTS, DONE, JOB } from './js-threads-protocol.js';

/** Below this many multiply-adds a product stays on one thread. */
const PARALLEL_MACS = 1 << 20;

interface Helper {
  worker: Worker;
  control: Int32Array;
  params: Float64Array;
  /** This helper's band of C, rows `cols` apart. */
  c: Float32Array;
  jobs: number;
  generation: number;
}

const WORKER_URL = new URL('./js-threads-worker.js', import.meta.url);

function shared(floats: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(floats, 1) * 4));
}

/** The js kernels with the matrix product spread over `threads` threads (this one included). */
export function threadedJsKernels(threads = availableParallelism()): Kernels {
  if (threads <= 1) return jsKernels;
  const helpers: Helper[] = [];
  // op(A) (m x k) and B as given, shared by every helper.
  let sharedA = shared(0);
  let sharedB = shared(0);
  let ownA = new Float32Array(0);
  let ownB = new Float32Array(0);

  function startHelper(): Helper {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
    const params = new Float64Array(new SharedArrayBuffer(8 * 8));
    const worker = new Worker(WORKER_URL, { workerData: { control, params } });
    worker.unref();
    return { worker, control, params, c: shared(0), jobs: 0, generation: 0 };
  }

  /** Tells a worker about new buffers; it takes no job until the message has arrived. */
  function announce(h: Helper): void {
    h.generation += 1;
    Atomics.store(h.control, BUFFERS, h.generation);
    h.worker.postMessage({ generation: h.generation, a: sharedA, b: sharedB, c: h.c });
  }

  function ensureShared(a: number, b: number): void {
    if (sharedA.length >= a && sharedB.length >= b) return;
    if (sharedA.length < a) sharedA = shared(Math.ceil(a * 1.25));
    if (sharedB.length < b) sharedB = shared(Math.ceil(b * 1.25));
    for (const h of helpers) announce(h);
  }

  return {
    ...jsKernels,
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (m * n * k < PARALLEL_MACS || n < 8 * threads) {
        jsKernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        return;
      }
      while (helpers.length < threads - 1) helpers.push(startHelper());
      ensureShared(m * k, k * n);
      // op(A) as m x k rows, which every band needs whole; B as it is, each band packs its part.
      // This thread computes from ordinary arrays only: if the hot loop saw shared and
      // ordinary arrays alike, V8 would compile it for both and run slower.
      let rowsA = a;
      if (transA) {
        if (ownA.length < m * k) ownA = new Float32Array(m * k);
        transposeColumns(a, k, m, 0, m, ownA);
        rowsA = ownA;
      }
      sharedA.set(rowsA.subarray(0, m * k));
      sharedB.set(b.subarray(0, k * n));

      // Columns [0, band) stay here; the rest go to the helpers in equal bands.
      const band = Math.ceil(n / threads);
      helpers.forEach((h, t) => {
        const j0 = (t + 1) * band;
        const cols = Math.min(band, n - j0);
        if (cols <= 0) return;
        if (h.c.length < m * cols) {
          h.c = shared(Math.ceil(m * cols * 1.25));
          announce(h);
        }
        if (beta !== 0) for (let i = 0; i < m; i++) h.c.set(c.subarray(i * n + j0, i * n + j0 + cols), i * cols);
        h.params.set([m, n, k, alpha, beta, transB ? 1 : 0, j0, cols]);
        h.jobs += 1;
        Atomics.store(h.control, JOB, h.jobs);
        Atomics.notify(h.control, JOB);
      });

      const mine = Math.min(band, n);
      if (ownB.length < mine * k) ownB = new Float32Array(mine * k);
      packColumns(transB, b, k, n, 0, mine, ownB);
      gemmPackedNT(m, mine, k, alpha, rowsA, ownB, beta, c, n);

      helpers.forEach((h, t) => {
        const j0 = (t + 1) * band;
        const cols = Math.min(band, n - j0);
        if (cols <= 0) return;
        // Sleep only while DONE still holds the value just compared, or a wake-up that comes in
        // between the two would be missed.
        for (let done = Atomics.load(h.control, DONE); done !== h.jobs; done = Atomics.load(h.control, DONE)) {
          Atomics.wait(h.control, DONE, done);
        }
        for (let i = 0; i < m; i++) c.set(h.c.subarray(i * cols, (i + 1) * cols), i * n + j0);
      });
    },
  };
}

/**
 * Columns [j0, j0 + cols) of op(B) as `cols` rows of k (B is k x n, or n x k when transB):
 * the packed form gemmPackedNT reads.
 */
export function packColumns(transB: boolean, b: Float32Array, k: number, n: number, j0: number, cols: number, out: Float32Array): void {
  if (transB) out.set(b.subarray(j0 * k, (j0 + cols) * k));
  else transposeColumns(b, k, n, j0, j0 + cols, out);
}
