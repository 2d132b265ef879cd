/**
 * The decoder's output as pictures, for any likelihood: the mean image E[x|z], the spread of
 * each pixel around it, and images drawn pixel by pixel from p(x|z). Figures and the page
 * both ask here, so neither has to know which likelihood a model has. The page bundles this
 * module: no Node built-ins.
 *
 * Pictures show grey levels in [0, 1]. A Bernoulli decoder's mean and draws are in that range
 * already, and so is the mean of a Gaussian decoder with a sigmoid mean; an unbounded mean
 * (older checkpoints) may stray outside it, and any Gaussian's draws m + sigma * eps stray far
 * outside, so both are clamped for display (the model's own numbers are left alone).
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import type { Random } from '../engine/random.js';
import { bernoulliMean, bernoulliSample, gaussianSample, logisticSample, logisticSpread } from './likelihood.js';
import type { Labels, VAE } from './model.js';

export interface DecodedPixels {
  /** E[x|z] per pixel, in [0, 1]: row-major images, one per latent code. */
  mean: Float32Array;
  /** Spread per value: the Bernoulli variance p(1 - p), the Gaussian standard deviation exp(lv / 2), or the logistic's s pi / sqrt(3). */
  spread: Float32Array;
  /** One image per latent code, each pixel drawn independently from p(x|z), in [0, 1]. */
  sample(rng: Random): Float32Array;
}

/** Clamps to [0, 1] in place and returns the array. */
export function clampUnit(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) values[i] = Math.min(1, Math.max(0, values[i]!));
  return values;
}

/** p(x|z) of `model` for the codes z [N, latent] (and, for a conditional model, their labels), as pictures. */
export function decodePixels(model: VAE, z: Tensor, labels?: Labels): DecodedPixels {
  const { mean, logvar, logScale } = noGrad(() => model.decodeDistribution(z, labels));
  if (logScale !== undefined) {
    // A sigmoid mean and draws of 8-bit levels are inside [0, 1] already.
    return { mean: mean.data.slice(), spread: logisticSpread(logScale), sample: (rng) => logisticSample(mean, logScale, rng) };
  }
  if (logvar === null) {
    const p = bernoulliMean(mean);
    return { mean: p, spread: p.map((v) => v * (1 - v)), sample: (rng) => bernoulliSample(mean, rng) };
  }
  return {
    mean: clampUnit(mean.data.slice()),
    spread: logvar.data.map((lv) => Math.exp(0.5 * lv)),
    sample: (rng) => clampUnit(gaussianSample(mean, logvar, rng)),
  };
}

/** The displayable mean images E[x|z] alone. */
export function decodeDisplayMean(model: VAE, z: Tensor, labels?: Labels): Float32Array {
  return decodePixels(model, z, labels).mean;
}
