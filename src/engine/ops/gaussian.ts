/**
 * The Gaussian decoder's negative log-likelihood, one fused op with a hand-derived backward:
 *   -log N(x | m, exp(lv)) = 0.5 * (log 2pi + lv + (x - m)^2 exp(-lv))   per pixel,
 * summed over the last axis (one value per example, in nats). With e = exp(-lv):
 *   d/dm = -(x - m) e,   d/dlv = 0.5 (1 - (x - m)^2 e),   d/dx = (x - m) e.
 */
import { Tensor, gradTarget, kernels, result } from '../tensor.js';

export function gaussianNll(mean: Tensor, logvar: Tensor, x: Tensor): Tensor {
  for (const [t, what] of [
    [logvar, 'logvar'],
    [x, 'x'],
  ] as const) {
    if (t.rank !== mean.rank || t.shape.some((d, i) => d !== mean.shape[i])) {
      throw new RangeError(`gaussianNll: ${what} has shape [${t.shape.join(', ')}], mean has [${mean.shape.join(', ')}]`);
    }
  }
  const rows = mean.rows;
  const cols = mean.cols;
  const out = new Float32Array(rows);
  kernels().gaussianNll(mean.data, logvar.data, x.data, rows, cols, out);
  return result('gaussian_nll', out, mean.rank <= 1 ? [1] : mean.shape.slice(0, -1), [mean, logvar, x], (o) => {
    kernels().gaussianNllBackward(
      mean.data,
      logvar.data,
      x.data,
      o.grad!,
      rows,
      cols,
      gradTarget(mean),
      gradTarget(logvar),
      gradTarget(x),
    );
  });
}
