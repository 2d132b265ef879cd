/**
 * Fused ops for the VAE objective, each one pass forward and one pass back, with the
 * backward derived by hand (and checked against finite differences in the tests).
 */
import { Tensor, gradTarget, isGradEnabled, kernels, opBuffer, result } from '../tensor.js';

function sameShape(a: Tensor, b: Tensor, op: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}

/** Leading shape of a row-reduction: [N, D] -> [N]. */
function rowShape(t: Tensor): number[] {
  return t.rank <= 1 ? [1] : t.shape.slice(0, -1);
}

/**
 * Binary cross-entropy with logits, summed over the last axis: for a Bernoulli decoder,
 *   -log p(x | z) = sum_j BCE(logit_j, x_j).
 * Stable form max(l, 0) - l t + log(1 + exp(-|l|)); d/dl = sigmoid(l) - t, d/dt = -l.
 */
export function bceWithLogits(logits: Tensor, targets: Tensor): Tensor {
  sameShape(logits, targets, 'bceWithLogits');
  const rows = logits.rows;
  const cols = logits.cols;
  const out = new Float32Array(rows);
  // While recording, the forward pass also keeps sigmoid(l) - t for the backward pass.
  const delta = isGradEnabled() && logits.requiresGrad ? opBuffer(logits.size, false) : null;
  kernels().bceWithLogits(logits.data, targets.data, rows, cols, out, delta);
  return result('bce_with_logits', out, rowShape(logits), [logits, targets], (o) => {
    kernels().bceWithLogitsBackward(
      logits.data,
      targets.data,
      o.grad!,
      rows,
      cols,
      gradTarget(logits),
      gradTarget(targets),
      delta,
    );
  });
}

/**
 * KL(N(mu, diag(exp(logvar))) || N(0, I)) for each row, in closed form:
 *   0.5 * sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j).
 */
export function gaussianKl(mu: Tensor, logvar: Tensor): Tensor {
  sameShape(mu, logvar, 'gaussianKl');
  const rows = mu.rows;
  const cols = mu.cols;
  const out = new Float32Array(rows);
  kernels().gaussianKl(mu.data, logvar.data, rows, cols, out);
  return result('gaussian_kl', out, rowShape(mu), [mu, logvar], (o) => {
    kernels().gaussianKlBackward(mu.data, logvar.data, o.grad!, rows, cols, gradTarget(mu), gradTarget(logvar));
  });
}

/**
 * The reparameterization trick: z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) drawn by
 * the caller, so the sample is a differentiable function of mu and logvar.
 */
export function reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor): Tensor {
  sameShape(mu, logvar, 'reparameterize');
  sameShape(mu, eps, 'reparameterize');
  const z = opBuffer(mu.size, false);
  kernels().reparameterize(mu.data, logvar.data, eps.data, z);
  return result('reparameterize', z, mu.shape, [mu, logvar, eps], (o) => {
    const g = o.grad!;
    kernels().reparameterizeBackward(logvar.data, eps.data, g, gradTarget(mu), gradTarget(logvar));
    const ge = gradTarget(eps);
    if (ge) for (let i = 0; i < ge.length; i++) ge[i]! += g[i]! * Math.exp(0.5 * logvar.data[i]!);
  });
}
