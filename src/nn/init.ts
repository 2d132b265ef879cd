/**
 * Initialization as PyTorch's nn.Linear does it: kaiming_uniform_ with a = sqrt(5) for the
 * weight, which works out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the
 * bias. Matching it makes our runs comparable with the classic PyTorch VAE example.
 */
import type { Random } from '../engine/random.js';

export function linearInitBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

export function uniformInit(out: Float32Array, bound: number, rng: Random): Float32Array {
  return rng.fillUniform(out, -bound, bound);
}
