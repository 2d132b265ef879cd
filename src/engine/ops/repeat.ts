/**
 * Each row repeated k times in place: [N, D] -> [N * k, D], rows n*k .. n*k + k - 1 being
 * copies of row n. The importance-weighted bound draws k latent samples per example from
 * one encoding; the backward sums the k copies' gradients back into their row.
 */
import { Tensor, result } from '../tensor.js';

export function repeatRows(a: Tensor, k: number): Tensor {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`repeatRows: k must be a positive integer, got ${k}`);
  if (a.rank !== 2) throw new RangeError(`repeatRows needs a matrix, got shape [${a.shape.join(', ')}]`);
  const [rows, cols] = a.shape as [number, number];
  const out = new Float32Array(rows * k * cols);
  for (let r = 0; r < rows; r++) {
    const row = a.data.subarray(r * cols, (r + 1) * cols);
    for (let j = 0; j < k; j++) out.set(row, (r * k + j) * cols);
  }
  return result('repeat_rows', out, [rows * k, cols], [a], (o) => {
    const g = o.grad!;
    const ga = a.ensureGrad();
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < k; j++) {
        const base = (r * k + j) * cols;
        for (let c = 0; c < cols; c++) ga[r * cols + c]! += g[base + c]!;
      }
    }
  });
}
