/**
 * The discretized logistic likelihood of 8-bit data (PixelCNN++, Salimans et al. 2017; the
 * IAF-VAE of Kingma et al. 2016), one fused op with a hand-derived backward. Values live on
 * the [0, 1] scale: 8-bit value k is x = k / 255, and its bin is [x - h, x + h], h = 1 / 510
 * (bins of width 1 / 255). With the logistic CDF F(t) = sigmoid(t), m the mean and
 * s = exp(logScale),
 *   P(k) = F((x - m + h) / s) - F((x - m - h) / s)   for 0 < k < 255,
 * and the edge bins take the tails: P(0) = F((h - m) / s), P(255) = 1 - F((1 - h - m) / s),
 * so the 256 probabilities sum to exactly 1. The op returns -sum log P(k) over the last
 * axis (one value per example, in nats); x gets no gradient, it is discrete data. The
 * formulas of the backward are in Kernels.logisticNllBackward.
 */
import { Tensor, gradTarget, kernels, result } from '../tensor.js';

export function logisticNll(mean: Tensor, logScale: Tensor, x: Tensor): Tensor {
  for (const [t, what] of [
    [logScale, 'logScale'],
    [x, 'x'],
  ] as const) {
    if (t.rank !== mean.rank || t.shape.some((d, i) => d !== mean.shape[i])) {
      throw new RangeError(`logisticNll: ${what} has shape [${t.shape.join(', ')}], mean has [${mean.shape.join(', ')}]`);
    }
  }
  const rows = mean.rows;
  const cols = mean.cols;
  const out = new Float32Array(rows);
  kernels().logisticNll(mean.data, logScale.data, x.data, rows, cols, out);
  return result('logistic_nll', out, mean.rank <= 1 ? [1] : mean.shape.slice(0, -1), [mean, logScale], (o) => {
    kernels().logisticNllBackward(mean.data, logScale.data, x.data, o.grad!, rows, cols, gradTarget(mean), gradTarget(logScale));
  });
}
