/**
 * GFLOP/s of each kernel provider's matrix product on the VAE's largest shapes (batch 128,
 * 784 inputs, 400 hidden) in the three layouts a linear layer uses, and the IW estimate's
 * decoder pass. For native, every product this build and CPU have (OpenBLAS, the built-in
 * AVX-512, AVX2 and baseline kernels) side by side, each shape timed on all of them in turn,
 * best of five bursts. VAE_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 compares them on one core.
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

/** Best of `rounds` bursts: on a shared machine the fastest burst is the one that had the cores. */
function seconds(run: () => void, reps: number, rounds: number): number {
  for (let i = 0; i < 3; i++) run();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) run();
    best = Math.min(best, (performance.now() - t) / 1000 / reps);
  }
  return best;
}

// The IW estimate's decoder output layer: 4096 samples at a time (src/train/iw-estimate.ts).
const S = 4096;
const hs = r(S * H);
const ls = new Float32Array(S * I);
const shapes: Array<[string, number, () => void]> = [
  ['x W^T (linear forward)', 2 * B * I * H, () => K.gemm(false, true, B, H, I, 1, x, w, 0, y)],
  ['g W (input gradient)', 2 * B * I * H, () => K.gemm(false, false, B, I, H, 1, g, w, 0, gx)],
  ['g^T x (weight gradient)', 2 * B * I * H, () => K.gemm(true, false, H, I, B, 1, g, x, 1, gw)],
  ['IW decoder, 4096 x 400 x 784', 2 * S * I * H, () => K.gemm(false, true, S, I, H, 1, hs, w, 0, ls)],
];

// Every product this build and CPU have, interleaved shape by shape, so that a busy moment of
// the machine falls on all of them alike.
const products: string[] = [];
if (native.ok && K !== jsKernels) {
  for (const p of ['openblas', 'avx512', 'avx2', 'base'] as const) if (native.setGemm(p)) products.push(p);
} else {
  products.push('js');
}
process.stdout.write(`${'GFLOP/s, best of 5'.padEnd(30)}${products.map((p) => p.padStart(10)).join('')}\n`);
for (const [name, flop, run] of shapes) {
  const cells: string[] = [];
  for (const p of products) {
    if (native.ok && p !== 'js') native.setGemm(p as 'openblas');
    const reps = p === 'js' || p === 'base' ? 5 : name.startsWith('IW') ? 10 : 100;
    cells.push((flop / seconds(run, reps, 5) / 1e9).toFixed(1).padStart(10));
  }
  process.stdout.write(`${name.padEnd(30)}${cells.join('')}\n`);
}
