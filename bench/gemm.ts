/**
 * GFLOP/s of the js kernels' matrix product on the VAE's largest shapes (batch 128,
 * 784 inputs, 400 hidden), in the three layouts a linear layer uses.
 *
 *   npm run build && node dist/bench/gemm.js
 */
import { jsKernels as K } from '../src/kernels/js.js';
import { Random } from '../src/engine/random.js';

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
  const reps = 20;
  const t = performance.now();
  for (let i = 0; i < reps; i++) run();
  const seconds = (performance.now() - t) / 1000 / reps;
  process.stdout.write(`${name.padEnd(28)} ${((2 * B * I * H) / seconds / 1e9).toFixed(2)} GFLOP/s\n`);
}

measure('x W^T (linear forward)', () => K.gemm(false, true, B, H, I, 1, x, w, 0, y));
measure('g W (input gradient)', () => K.gemm(false, false, B, I, H, 1, g, w, 0, gx));
measure('g^T x (weight gradient)', () => K.gemm(true, false, H, I, B, 1, g, x, 1, gw));
