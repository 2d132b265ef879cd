/**
 * Sum and mean, over everything or along one axis. An axis splits the shape into
 * [outer, n, inner]; the result drops that axis.
 */
import { Tensor, result } from '../tensor.js';

function split(shape: readonly number[], axis: number): { outer: number; n: number; inner: number; axis: number } {
  const ax = axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length) {
    throw new RangeError(`axis ${axis} out of range for shape [${shape.join(', ')}]`);
  }
  const outer = shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const inner = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  return { outer, n: shape[ax]!, inner, axis: ax };
}

function reduce(op: string, a: Tensor, axis: number | undefined, scaleOf: (n: number) => number): Tensor {
  if (axis === undefined) {
    const scale = scaleOf(a.size);
    let s = 0;
    for (let i = 0; i < a.size; i++) s += a.data[i]!;
    return result(op, Float32Array.of(s * scale), [], [a], (o) => {
      const g = o.grad![0]! * scale;
      const ga = a.ensureGrad();
      for (let i = 0; i < ga.length; i++) ga[i]! += g;
    });
  }
  const { outer, n, inner, axis: ax } = split(a.shape, axis);
  const scale = scaleOf(n);
  const out = new Float64Array(outer * inner);
  const ad = a.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i]! += ad[base + i]!;
    }
  }
  const data = new Float32Array(outer * inner);
  for (let i = 0; i < data.length; i++) data[i] = out[i]! * scale;
  const shape = a.shape.filter((_, i) => i !== ax);
  return result(op, data, shape, [a], (res) => {
    const g = res.grad!;
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const base = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) ga[base + i]! += g[o * inner + i]! * scale;
      }
    }
  });
}

/** Sum of all elements (a scalar), or along `axis`. Accumulates in double precision. */
export function sum(a: Tensor, axis?: number): Tensor {
  return reduce('sum', a, axis, () => 1);
}

/** Mean of all elements (a scalar), or along `axis`. */
export function mean(a: Tensor, axis?: number): Tensor {
  return reduce('mean', a, axis, (n) => 1 / n);
}
