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
import { gemmPackedNT, jsKernels, transpose } from './js.js';
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
  /** The packed B this helper reads (its own `b`, or the first helper's). */
  sharedB: Float32Array;
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
  const b = shared(0);
  return { worker, control, params, a: shared(0), b, c: shared(0), jobs: 0, generation: 0, sharedB: b };
}

/** The js kernels with the matrix product spread over `threads` threads (this one included). */
export function threadedJsKernels(threads = availableParallelism()): Kernels {
  if (threads <= 1) return jsKernels;
  const helpers: Helper[] = [];

  /** Tells the worker about new buffers; it takes no job until the message has arrived. */
  function bumpBuffers(h: Helper, b: Float32Array): void {
    h.generation += 1;
    Atomics.store(h.control, BUFFERS, h.generation);
    h.worker.postMessage({ generation: h.generation, a: h.a, b, c: h.c });
  }

  /** Makes the helper's shared buffers big enough. */
  function ensure(h: Helper, a: number, b: number, c: number): void {
    if (h.a.length >= a && h.b.length >= b && h.c.length >= c) return;
    if (h.a.length < a) h.a = shared(Math.ceil(a * 1.25));
    if (h.b.length < b) h.b = shared(Math.ceil(b * 1.25));
    if (h.c.length < c) h.c = shared(Math.ceil(c * 1.25));
    if (h === helpers[0]) h.sharedB = h.b;
    bumpBuffers(h, h.sharedB);
  }

  let own = new Float32Array(0);

  return {
    ...jsKernels,
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (m * n * k < PARALLEL_MACS || m < 2 * threads) {
        jsKernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
        return;
      }
      while (helpers.length < threads - 1) helpers.push(startHelper());
      // Rows [0, band) stay here; the rest go to the helpers in equal bands. op(B) is packed
      // once (n x k, k contiguous) into the first helper's shared buffer, and every thread
      // reads it there.
      const band = Math.ceil(m / threads);
      const first = helpers[0]!;
      helpers.forEach((h, t) => {
        const rows = Math.max(0, Math.min(band, m - (t + 1) * band));
        ensure(h, rows * k, t === 0 ? n * k : 0, rows * n);
      });
      const packedB = first.b;
      if (transB) packedB.set(b.subarray(0, n * k));
      else transpose(b, k, n, packedB);
      helpers.forEach((h, t) => {
        const r0 = (t + 1) * band;
        const rows = Math.min(band, m - r0);
        if (rows <= 0) return;
        packRows(transA, a, m, k, r0, rows, h.a);
        if (beta !== 0) h.c.set(c.subarray(r0 * n, (r0 + rows) * n));
        if (h !== first && h.sharedB !== packedB) {
          // Later helpers read the first helper's packed B; they learn of it once.
          h.sharedB = packedB;
          bumpBuffers(h, packedB);
        }
        h.params.set([rows, n, k, alpha, beta]);
        h.jobs += 1;
        Atomics.store(h.control, JOB, h.jobs);
        Atomics.notify(h.control, JOB);
      });
      // This thread's band, straight into C.
      let mineA = a;
      if (transA) {
        if (own.length < band * k) own = new Float32Array(band * k);
        packRows(true, a, m, k, 0, band, own);
        mineA = own;
      }
      gemmPackedNT(band, n, k, alpha, mineA, packedB, beta, c.subarray(0, band * n));
      helpers.forEach((h, t) => {
        const r0 = (t + 1) * band;
        const rows = Math.min(band, m - r0);
        if (rows <= 0) return;
        // Sleep only while DONE still holds the value just compared, or a wake-up that comes in
        // between the two would be missed.
        for (let done = Atomics.load(h.control, DONE); done !== h.jobs; done = Atomics.load(h.control, DONE)) {
          Atomics.wait(h.control, DONE, done);
        }
        c.set(h.c.subarray(0, rows * n), r0 * n);
      });
    },
  };
}

/** Rows [r0, r0 + rows) of op(A) (A is m x k, or k x m when transA), row-major into `out`. */
function packRows(transA: boolean, a: Float32Array, m: number, k: number, r0: number, rows: number, out: Float32Array): void {
  if (!transA) {
    out.set(a.subarray(r0 * k, (r0 + rows) * k));
    return;
  }
  for (let p = 0; p < k; p++) {
    const src = p * m + r0;
    for (let i = 0; i < rows; i++) out[i * k + p] = a[src + i]!;
  }
}
