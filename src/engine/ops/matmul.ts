/**
 * Matrix products: `matmul`, and `linear`, the layer y = x W^T + b with weights in PyTorch's
 * [out, in] layout, optionally fused with a ReLU. Gradients, with g = dL/dy:
 *   dx = g W,   dW = g^T x,   db = sum over rows of g.
 */
import { Tensor, gradTarget, kernels, opBuffer, result } from '../tensor.js';

function matrixDims(t: Tensor, what: string): [number, number] {
  if (t.rank !== 2) throw new RangeError(`${what} must be a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0]!, t.shape[1]!];
}

/** a [m, k] times b [k, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [m, k] = matrixDims(a, 'matmul: a');
  const [k2, n] = matrixDims(b, 'matmul: b');
  if (k !== k2) throw new RangeError(`matmul: [${m}, ${k}] x [${k2}, ${n}] do not fit`);
  const out = opBuffer(m * n, false);
  kernels().gemm(false, false, m, n, k, 1, a.data, b.data, 0, out);
  return result('matmul', out, [m, n], [a, b], (o) => {
    const g = o.grad!;
    const ga = gradTarget(a);
    const gb = gradTarget(b);
    if (ga) kernels().gemm(false, true, m, k, n, 1, g, b.data, 1, ga);
    if (gb) kernels().gemm(true, false, k, n, m, 1, a.data, g, 1, gb);
  });
}

export type Activation = 'none' | 'relu';

/** x [N, in], weight [out, in], bias [out] (or null): y = act(x W^T + b), shape [N, out]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, activation: Activation = 'none'): Tensor {
  const [rows, inF] = matrixDims(x, 'linear: input');
  const [outF, inW] = matrixDims(weight, 'linear: weight');
  if (inF !== inW) throw new RangeError(`linear: input has ${inF} features, weight expects ${inW}`);
  if (bias !== null && bias.size !== outF) throw new RangeError(`linear: bias has ${bias.size} values, expected ${outF}`);
  const K = kernels();
  const y = opBuffer(rows * outF, false);
  K.gemm(false, true, rows, outF, inF, 1, x.data, weight.data, 0, y);
  if (bias !== null) K.addBias(y, bias.data, rows, outF, activation === 'relu');
  else if (activation === 'relu') K.relu(y, y);
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return result(activation === 'relu' ? 'linear_relu' : 'linear', y, [rows, outF], parents, (o) => {
    const K2 = kernels();
    let g = o.grad!;
    const gb = bias !== null ? gradTarget(bias) : null;
    if (activation === 'relu' || gb !== null) {
      // One sweep: the ReLU's mask on the incoming gradient (y > 0 exactly where the input
      // was) and the bias gradient, its column sums.
      const pre = activation === 'relu' ? opBuffer(g.length, false) : g;
      K2.biasActivationBackward(y, g, rows, outF, activation === 'relu', pre, gb);
      g = pre;
    }
    const gx = gradTarget(x);
    const gw = gradTarget(weight);
    if (gx) K2.gemm(false, false, rows, inF, outF, 1, g, weight.data, 1, gx);
    if (gw) K2.gemm(true, false, outF, inF, rows, 1, g, x.data, 1, gw);
  });
}
