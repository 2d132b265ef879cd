/**
 * The decoder's distribution p(x|z) over each pixel.
 *
 * Bernoulli: the decoder gives a logit
 * l per pixel and p(x_j = 1 | z) = sigmoid(l_j). For grey pixels in [0, 1] the same
 * cross-entropy serves as the reconstruction term, as in the classic PyTorch example; it is
 * then a loss rather than a normalized likelihood, which is why likelihood numbers are
 * usually quoted on binarized data.
 *
 * Gaussian: the decoder gives a mean m and a log-variance lv per pixel, and
 * p(x_j | z) = N(x_j | m_j, exp(lv_j)), a density over continuous pixels; 8-bit data are
 * dequantized for it (see bitsPerDim). gaussian-fixed learns only m, with lv = 2 log sigma.
 * New models take m = sigmoid(output), inside (0, 1) like the pixels (see GaussianMean).
 *
 * Discretized logistic: the decoder gives a mean m and a log-scale ls per value, and each
 * 8-bit value k (x = k / 255) gets the logistic's mass over its bin of width 1 / 255, the
 * edge bins 0 and 255 taking the tails (src/engine/ops/logistic.ts). It is a normalized
 * distribution over the 256 levels, so its NLL is a code length for the bytes themselves,
 * with no dequantization: bits/dim = nats / (D ln 2), D = channels x height x width, the
 * number CIFAR-10 results are quoted in. The mean is always sigmoid(output), inside (0, 1):
 * the scale of the data, so decoded means are pictures as they are; the edge bins' tails
 * give 0 and 255 all the mass they need without a mean beyond them.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { bceWithLogits } from '../engine/ops/fused.js';
import { add, sigmoid, softplus, stableSigmoid, sub } from '../engine/ops/elementwise.js';
import { gaussianNll } from '../engine/ops/gaussian.js';
import { logisticNll } from '../engine/ops/logistic.js';
import type { Random } from '../engine/random.js';
import type { GaussianMean } from './config.js';

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

/**
 * The floor of a Gaussian decoder's log-variance: log((1/256)^2), one grey level as the
 * standard deviation. On 8-bit images a pixel that is always 0 (MNIST's border) would let a
 * free variance shrink towards zero and the density grow without bound; dequantization
 * spreads such a pixel over one grey level, and a density has no business resolving finer
 * than that. The floor is soft, lv = floor + softplus(raw - floor), so the gradient never
 * vanishes abruptly at the boundary and lv ~ raw well above it.
 */
export const LOGVAR_FLOOR = -2 * Math.log(256);

/** The decoder's raw log-variance output, softly floored at LOGVAR_FLOOR. */
export function flooredLogvar(raw: Tensor): Tensor {
  return add(softplus(sub(raw, LOGVAR_FLOOR)), LOGVAR_FLOOR);
}

/** A Gaussian decoder's mean from its network's output: as it is, or squashed into (0, 1) like the pixels. */
export function gaussianMeanFrom(output: Tensor, kind: GaussianMean): Tensor {
  return kind === 'sigmoid' ? sigmoid(output) : output;
}

/** -log N(x | mean, exp(logvar)) per example, summed over pixels, in nats. */
export function gaussianNegLogLikelihood(mean: Tensor, logvar: Tensor, x: Tensor): Tensor {
  return gaussianNll(mean, logvar, x);
}

/** A constant log-variance 2 log sigma shaped like `mean`: the gaussian-fixed decoder's. */
export function fixedLogvar(mean: Tensor, sigma: number): Tensor {
  return new Tensor(new Float32Array(mean.size).fill(2 * Math.log(sigma)), mean.shape);
}

/** Per-pixel draws x_j ~ N(mean_j, exp(logvar_j)). */
export function gaussianSample(mean: Tensor, logvar: Tensor, rng: Random): Float32Array {
  const out = rng.fillNormal(new Float32Array(mean.size));
  for (let i = 0; i < out.length; i++) out[i] = mean.data[i]! + Math.exp(0.5 * logvar.data[i]!) * out[i]!;
  return out;
}

/**
 * The floor of a logistic decoder's log-scale: log(1 / 2040), an eighth of a grey level, at
 * which a value's own bin already holds 96% of the mass (sigmoid(4) - sigmoid(-4)). Finer
 * scales buy next to nothing and make the gradients steep, which is why PixelCNN++ clamps its
 * log-scales too (at -7 on its [-1, 1] scale, about this on ours). Soft, as the Gaussian's.
 */
export const LOG_SCALE_FLOOR = -Math.log(8 * 255);

/** The decoder's raw log-scale output, softly floored at LOG_SCALE_FLOOR. */
export function flooredLogScale(raw: Tensor): Tensor {
  return add(softplus(sub(raw, LOG_SCALE_FLOOR)), LOG_SCALE_FLOOR);
}

/** -log P(x | mean, exp(logScale)) of 8-bit values x = k / 255 per example, summed over values, in nats. */
export function logisticNegLogLikelihood(mean: Tensor, logScale: Tensor, x: Tensor): Tensor {
  return logisticNll(mean, logScale, x);
}

/** The logistic's standard deviation s pi / sqrt(3) per value. */
export function logisticSpread(logScale: Tensor): Float32Array {
  const k = Math.PI / Math.sqrt(3);
  return logScale.data.map((ls) => k * Math.exp(ls));
}

/**
 * Per-value draws of 8-bit levels: t = m + s log(u / (1 - u)) is logistic, and the level
 * whose bin holds t (the edge levels their tails) is a draw from the discretized logistic.
 * Returned as k / 255.
 */
export function logisticSample(mean: Tensor, logScale: Tensor, rng: Random): Float32Array {
  const out = new Float32Array(mean.size);
  for (let i = 0; i < out.length; i++) {
    const u = Math.min(Math.max(rng.uniform(), 1e-7), 1 - 1e-7);
    const t = mean.data[i]! + Math.exp(logScale.data[i]!) * Math.log(u / (1 - u));
    out[i] = Math.min(255, Math.max(0, Math.round(t * 255))) / 255;
  }
  return out;
}

/**
 * Bits per dimension of a negative log-likelihood (or bound) in nats per example. For a
 * continuous density fitted to dequantized 8-bit data, x = (k + u) / 256, the probability
 * of the integer image k is at least E_u[p(x)] / 256^D, so its code length adds D log 256
 * nats to the density's: bits/dim = (nats + D log 256) / (D log 2) = nats / (D log 2) + 8.
 * Discrete data (binarized, or 8-bit values under the discretized logistic) need no offset.
 */
export function bitsPerDim(nats: number, dims: number, dequantized: boolean): number {
  return (nats + (dequantized ? dims * Math.log(256) : 0)) / (dims * Math.LN2);
}
