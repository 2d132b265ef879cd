/**
 * The Gaussian decoder's negative log-likelihood, one fused op with a hand-derived backward:
 *   -log N(x | m, exp(lv)) = 0.5 * (log 2pi + lv + (x - m)^2 exp(-lv))   per pixel,
 * summed over the last axis (one value per example, in nats). With e = exp(-lv):
 *   d/dm = -(x - m) e,   d/dlv = 0.5 (1 - (x - m)^2 e),   d/dx = (x - m) e.
 */
import { Tensor, gradTarget, result } from '../tensor.js';

const LOG_2PI = Math.log(2 * Math.PI);

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
  const m = mean.data;
  const lv = logvar.data;
  const xd = x.data;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * cols; j < (r + 1) * cols; j++) {
      const d = xd[j]! - m[j]!;
      s += LOG_2PI + lv[j]! + d * d * Math.exp(-lv[j]!);
    }
    out[r] = 0.5 * s;
  }
  return result('gaussian_nll', out, mean.rank <= 1 ? [1] : mean.shape.slice(0, -1), [mean, logvar, x], (o) => {
    const g = o.grad!;
    const gm = gradTarget(mean);
    const glv = gradTarget(logvar);
    const gx = gradTarget(x);
    for (let r = 0; r < rows; r++) {
      const gr = g[r]!;
      for (let j = r * cols; j < (r + 1) * cols; j++) {
        const e = Math.exp(-lv[j]!);
        const d = xd[j]! - m[j]!;
        if (gm) gm[j]! -= gr * d * e;
        if (glv) glv[j]! += gr * 0.5 * (1 - d * d * e);
        if (gx) gx[j]! += gr * d * e;
      }
    }
  });
}
