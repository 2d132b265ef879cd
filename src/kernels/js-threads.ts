/**
 * The portable kernels on every core, for Node: the same TypeScript matrix product, with the
 * rows of C split between this thread and worker threads. The operands are copied into
 * shared memory (a few hundred microseconds against tens of milliseconds of arithmetic),
 * each worker computes its band of rows, and this thread waits on an Atomics flag, so the
 * Kernels interface stays synchronous. Every element of C is computed by the same code in
 * the same order as on one thread, so the results are bit-identical to `jsKernels`.
 *
 * Browsers keep plain `jsKernels` (their main thread may not block on Atomics).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { jsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { BUFFERS, CONTROL_SLOTS, DONE, JOB } from './js-threads-protocol.js';

/** Below this many multiply-adds a product stays on one thread. */
const PARALLEL_MACS = 1 << 20;

interface Helper {
  worker: Worker;
  control: Int32Array;
  params: Float64Array;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  jobs: number;
  generation: number;
}

const WORKER_URL = new URL('./js-threads-worker.js', import.meta.url);

function shared(floats: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(floats, 1) * 4));
}

function startHelper(): Helper {
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS));
  const params = new Float64Array(new SharedArrayBuffer(8 * 8));
  const worker = new Worker(WORKER_URL, { workerData: { control, params } });
  worker.unref();
  return { worker, control, params, a: shared(0), b: shared(0), c: shared(0), jobs: 0, generation: 0 };
}

/** The js kernels with the matrix product spread over `threads` threads (this one included). */
export function threadedJsKernels(threads = availableParallelism()): Kernels {
  if (threads <= 1) return jsKernels;
  const helpers: Helper[] = [];

  /** Makes the helper's shared buffers big enough; the worker learns of new ones by message. */
  function ensure(h: Helper, a: number, b: number, c: number): void {
    if (h.a.length >= a && h.b.length >= b && h.c.length >= c) return;
    if (h.a.length < a) h.a = shared(Math.ceil(a * 1.25));
    if (h.b.length < b) h.b = shared(Math.ceil(b * 1.25));
    if (h.c.length < c) h.c = shared(Math.ceil(c * 1.25));
    h.generation += 1;
    Atomics.store(h.control, BUFFERS, h.generation);
    h.worker.postMessage({ generation: h.generation, a: h.a, b: h.b, c: h.c });
  }

  return {
    ...jsKernels,
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (m * n * k < PARALLEL_MACS || m < 2 * threads) {
        jsKernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        return;
      }
      while (helpers.length < threads - 1) helpers.push(startHelper());
      // Rows [0, mine) stay here; the rest go to the helpers in equal bands.
      const band = Math.ceil(m / threads);
      const mine = band;
      let aRows: Float32Array | null = null;
      helpers.forEach((h, t) => {
        const r0 = mine + t * band;
        const rows = Math.min(band, m - r0);
        if (rows <= 0) return;
        ensure(h, rows * k, k * n, rows * n);
        const sa = h.a;
        if (transA) {
          // op(A) rows r0.. are columns of A: gather them into a row-major band.
          for (let i = 0; i < rows; i++) for (let p = 0; p < k; p++) sa[i * k + p] = a[p * m + r0 + i]!;
        } else {
          sa.set(a.subarray(r0 * k, (r0 + rows) * k));
        }
        h.b.set(b.subarray(0, k * n));
        const sc = h.c;
        if (beta !== 0) sc.set(c.subarray(r0 * n, (r0 + rows) * n));
        h.params.set([transB ? 1 : 0, rows, n, k, alpha, beta]);
        h.jobs += 1;
        Atomics.store(h.control, JOB, h.jobs);
        Atomics.notify(h.control, JOB);
      });
      // This thread's band, straight into C.
      if (transA) {
        aRows = new Float32Array(mine * k);
        for (let i = 0; i < mine; i++) for (let p = 0; p < k; p++) aRows[i * k + p] = a[p * m + i]!;
      }
      jsKernels.gemm(false, transB, mine, n, k, alpha, aRows ?? a.subarray(0, mine * k), b, beta, c.subarray(0, mine * n));
      helpers.forEach((h, t) => {
        const r0 = mine + t * band;
        const rows = Math.min(band, m - r0);
        if (rows <= 0) return;
        while (Atomics.load(h.control, DONE) !== h.jobs) Atomics.wait(h.control, DONE, Atomics.load(h.control, DONE));
        c.set(h.c.subarray(0, rows * n), r0 * n);
      });
    },
  };
}
