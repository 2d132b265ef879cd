/**
 * The decoder's distribution p(x|z) over each pixel. Bernoulli: the decoder gives a logit
 * l per pixel and p(x_j = 1 | z) = sigmoid(l_j). For grey pixels in [0, 1] the same
 * cross-entropy serves as the reconstruction term, as in the classic PyTorch example; it is
 * then a loss rather than a normalized likelihood, which is why likelihood numbers are
 * usually quoted on binarized data.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { bceWithLogits } from '../engine/ops/fused.js';
import { stableSigmoid } from '../engine/ops/elementwise.js';
import type { Random } from '../engine/random.js';

/** -log p(x | z) per example, summed over pixels: the reconstruction term in nats. */
export function bernoulliNegLogLikelihood(logits: Tensor, x: Tensor): Tensor {
  return bceWithLogits(logits, x);
}

/** E[x | z] = sigmoid(logits): the decoded mean image. */
export function bernoulliMean(logits: Tensor): Float32Array {
  return noGrad(() => {
    const out = new Float32Array(logits.size);
    for (let i = 0; i < out.length; i++) out[i] = stableSigmoid(logits.data[i]!);
    return out;
  });
}

/** Per-pixel draws x_j ~ Bernoulli(sigmoid(l_j)): one variation of the decoded digit. */
export function bernoulliSample(logits: Tensor, rng: Random): Float32Array {
  const mean = bernoulliMean(logits);
  for (let i = 0; i < mean.length; i++) mean[i] = rng.uniform() < mean[i]! ? 1 : 0;
  return mean;
}
