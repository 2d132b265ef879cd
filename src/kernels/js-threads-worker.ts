/**
 * A helper thread of `threadedJsKernels`: waits for a job on the shared control block, packs
 * its band of B's columns, computes that band of C with the portable kernel, and says it is
 * done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gemmPackedNT } from './js.js';
import { packColumns } from './js-threads.js';
import { BUFFERS, DONE, JOB } from './js-threads-protocol.js';

const { control, params } = workerData as { control: Int32Array; params: Float64Array };
let buffers: { a: Float32Array; b: Float32Array; c: Float32Array } = {
  a: new Float32Array(0),
  b: new Float32Array(0),
  c: new Float32Array(0),
};
let generation = 0;
let packed = new Float32Array(0);

// Bigger shared buffers arrive as messages; a job that needs them waits until they are here.
parentPort!.on('message', (msg: { generation: number; a: Float32Array; b: Float32Array; c: Float32Array }) => {
  buffers = msg;
  generation = msg.generation;
});

let seen = 0;
function loop(): void {
  Atomics.wait(control, JOB, seen, 100);
  const job = Atomics.load(control, JOB);
  if (job !== seen && Atomics.load(control, BUFFERS) === generation) {
    // Sizes come out of a Float64Array as doubles; `| 0` makes them small integers again, or
    // V8 would do every index computation of the hot loop in floating point.
    const m = params[0]! | 0;
    const n = params[1]! | 0;
    const k = params[2]! | 0;
    const alpha = params[3]!;
    const beta = params[4]!;
    const transB = params[5] === 1;
    const j0 = params[6]! | 0;
    const cols = params[7]! | 0;
    if (packed.length < cols * k) packed = new Float32Array(cols * k);
    packColumns(transB, buffers.b, k, n, j0, cols, packed);
    gemmPackedNT(m, cols, k, alpha, buffers.a, packed, beta, buffers.c, cols);
    seen = job;
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
  // Back to the event loop between jobs, so buffer messages are delivered.
  setImmediate(loop);
}
loop();
