/**
 * log sum_j exp(x_ij) over the last axis, in the stable form m + log sum_j exp(x_ij - m)
 * with m the row's maximum, so no term overflows and at least one is exactly 1. Its
 * gradient is the row's softmax: d/dx_ij = exp(x_ij - lse_i).
 */
import { Tensor, result } from '../tensor.js';

export function logSumExp(a: Tensor): Tensor {
  if (a.rank === 0) throw new RangeError('logSumExp needs at least one axis');
  const rows = a.rows;
  const cols = a.cols;
  const ad = a.data;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = rowLogSumExp(ad, r * cols, cols);
  return result('logsumexp', out, a.rank === 1 ? [1] : a.shape.slice(0, -1), [a], (o) => {
    const g = o.grad!;
    const ga = a.ensureGrad();
    for (let r = 0; r < rows; r++) {
      const lse = out[r]!;
      for (let j = r * cols; j < (r + 1) * cols; j++) ga[j]! += g[r]! * Math.exp(ad[j]! - lse);
    }
  });
}

/** The stable log-sum-exp of `n` values starting at `offset`, in double precision. */
export function rowLogSumExp(values: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let j = offset; j < offset + n; j++) if (values[j]! > max) max = values[j]!;
  if (max === -Infinity || !Number.isFinite(max)) return max;
  let s = 0;
  for (let j = offset; j < offset + n; j++) s += Math.exp(values[j]! - max);
  return max + Math.log(s);
}
