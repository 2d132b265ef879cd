/**
 * With threads, the wasm kernels keep two memories: the shared one of the threaded matrix
 * products, and a private one for every other kernel (copying into a private buffer is the
 * cheaper copy in a browser). Interleaved as in training, they must give the numbers one
 * thread gives, bit for bit: a band of a product is the same arithmetic on any thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRunConfig, loadMnist, subset } from '../src/index.js';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { curveOf } from './support/curves.js';

const STEPS = 20;

test(`the reference MLP gives the same loss curve, bit for bit, on 1 and 2 wasm threads over ${STEPS} steps`, async () => {
  const one = loadWasmKernels(1);
  const two = loadWasmKernels(2);
  assert.ok(one.ok && two.ok, one.ok ? (two.ok ? '' : two.reason) : one.reason);
  assert.equal(two.info.threads, 2);
  const mnist = loadMnist();
  const data = { ...mnist, train: subset(mnist.train, STEPS * 128), test: subset(mnist.test, 200) };
  const config = defaultRunConfig();
  config.training.epochs = 1;
  const a = await curveOf(one.kernels, config, data);
  const b = await curveOf(two.kernels, config, data);
  assert.equal(a.losses.length, STEPS);
  assert.ok(a.losses[STEPS - 1]! < a.losses[0]!, 'the run learns');
  assert.deepEqual(b.losses, a.losses);
});

test('threaded products stay right while the other kernels grow the private memory in between', () => {
  const one = loadWasmKernels(1);
  const two = loadWasmKernels(2);
  assert.ok(one.ok && two.ok);
  const [m, n, k] = [96, 256, 300];
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  const product = (kernels: typeof one.kernels): Float32Array => {
    const c = new Float32Array(m * n);
    kernels.gemm(false, false, m, n, k, 1, a, b, 0, c);
    return c;
  };
  const want = product(one.kernels);
  for (const size of [1 << 10, 1 << 20, 1 << 22]) {
    // An elementwise kernel on ever larger arrays: the private memory grows (and its buffer is replaced).
    const x = Float32Array.from({ length: size }, (_, i) => (i % 7) - 3);
    const out = new Float32Array(size);
    two.kernels.relu(x, out);
    assert.equal(out[size - 1], Math.max(0, ((size - 1) % 7) - 3));
    assert.deepEqual(product(two.kernels), want);
  }
});
