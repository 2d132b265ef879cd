/**
 * Ops that move values without changing them: reshape, and concat / slice along the last
 * (feature) axis, which is how a VAE splits an encoder's output into mean and log-variance.
 */
import { Tensor, result, sizeOf } from '../tensor.js';

/** Same values, new shape; one dimension may be -1 and is inferred. Shares the data. */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const free = shape.indexOf(-1);
  const target = [...shape];
  if (free >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== free));
    target[free] = known === 0 ? 0 : a.size / known;
  }
  if (sizeOf(target) !== a.size || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`cannot reshape [${a.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return result('reshape', a.data, target, [a], (o) => {
    const g = o.grad!;
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]!;
  });
}

/** Joins tensors along the last axis; all other dimensions must agree. */
export function concat(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new RangeError('concat of nothing');
  const lead = parts[0]!.shape.slice(0, -1);
  for (const p of parts) {
    if (p.rank === 0 || p.shape.length - 1 !== lead.length || p.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
      throw new RangeError(`concat: shapes ${parts.map((q) => `[${q.shape.join(', ')}]`).join(' ')} do not fit`);
    }
  }
  const rows = parts[0]!.rows;
  const widths = parts.map((p) => p.cols);
  const cols = widths.reduce((s, w) => s + w, 0);
  const out = new Float32Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    const w = p.cols;
    for (let r = 0; r < rows; r++) out.set(p.data.subarray(r * w, (r + 1) * w), r * cols + offset);
    offset += w;
  }
  return result('concat', out, [...lead, cols], parts, (o) => {
    const g = o.grad!;
    let off = 0;
    for (const p of parts) {
      const w = p.cols;
      if (p.requiresGrad) {
        const gp = p.ensureGrad();
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < w; j++) gp[r * w + j]! += g[r * cols + off + j]!;
        }
      }
      off += w;
    }
  });
}

/** Columns [start, end) of the last axis. */
export function slice(a: Tensor, start: number, end: number): Tensor {
  const cols = a.cols;
  if (a.rank === 0 || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > cols || start >= end) {
    throw new RangeError(`slice [${start}, ${end}) out of range for last axis of size ${cols}`);
  }
  const rows = a.rows;
  const w = end - start;
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(a.data.subarray(r * cols + start, r * cols + end), r * w);
  return result('slice', out, [...a.shape.slice(0, -1), w], [a], (o) => {
    const g = o.grad!;
    const ga = a.ensureGrad();
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < w; j++) ga[r * cols + start + j]! += g[r * w + j]!;
    }
  });
}
