/**
 * GFLOP/s of each kernel provider's matrix product on the VAE's largest shapes (batch 128,
 * 784 inputs, 400 hidden), in the three layouts a linear layer uses. The native provider
 * runs on OpenBLAS when it was built with it, or on its built-in kernels with
 * VAE_GEMM=builtin.
 *
 *   npm run bench:gemm [-- js|native]
 */
import { jsKernels } from '../src/kernels/js.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { Random } from '../src/engine/random.js';

const which = process.argv[2] ?? 'native';
const native = loadNativeKernels();
if (which !== 'js' && !native.ok) {
  process.stderr.write(`native kernels unavailable: ${native.reason}\n`);
  process.exit(2);
}
const K: Kernels = which === 'js' || !native.ok ? jsKernels : native.kernels;
process.stdout.write(`kernels: ${K.name}${native.ok && K !== jsKernels ? ` (${native.info.gemm}, ${native.info.threads} fused threads)` : ''}\n`);

const [B, I, H] = [128, 784, 400];
const rng = new Random(1);
const r = (n: number): Float32Array => rng.fillUniform(new Float32Array(n), -0.5, 0.5);
const x = r(B * I);
const w = r(H * I);
const g = r(B * H);
const y = new Float32Array(B * H);
const gx = new Float32Array(B * I);
const gw = new Float32Array(H * I);

function measure(name: string, run: () => void): void {
  for (let i = 0; i < 3; i++) run();
  const reps = K === jsKernels ? 20 : 200;
  const t = performance.now();
  for (let i = 0; i < reps; i++) run();
  const seconds = (performance.now() - t) / 1000 / reps;
  process.stdout.write(`${name.padEnd(28)} ${((2 * B * I * H) / seconds / 1e9).toFixed(2)} GFLOP/s\n`);
}

measure('x W^T (linear forward)', () => K.gemm(false, true, B, H, I, 1, x, w, 0, y));
measure('g W (input gradient)', () => K.gemm(false, false, B, I, H, 1, g, w, 0, gx));
measure('g^T x (weight gradient)', () => K.gemm(true, false, H, I, B, 1, g, x, 1, gw));
