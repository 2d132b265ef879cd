/** What defines a VAE's architecture: enough to rebuild it from a checkpoint. */

/**
 * The decoder's distribution over each pixel:
 *  - bernoulli: one logit per pixel;
 *  - gaussian: a mean and a log-variance per pixel, both learned;
 *  - gaussian-fixed: a learned mean, and one fixed standard deviation `sigma` for all pixels.
 */
export type Likelihood = 'bernoulli' | 'gaussian' | 'gaussian-fixed';
export const LIKELIHOODS: readonly Likelihood[] = ['bernoulli', 'gaussian', 'gaussian-fixed'];

/**
 * How a Gaussian decoder's mean follows from its network's output:
 *  - unbounded: the output itself (checkpoints from before the choice existed);
 *  - sigmoid: sigmoid(output), inside (0, 1) as dequantized pixels (k + u) / 256 are. A
 *    decoder whose mean may leave [0, 1] spends nothing on keeping it inside where the learned
 *    variance is large, and off the training codes (latent codes drawn from the prior) its
 *    means wander below 0 and above 1, which the pictures show as speckle.
 */
export type GaussianMean = 'unbounded' | 'sigmoid';
export const GAUSSIAN_MEANS: readonly GaussianMean[] = ['unbounded', 'sigmoid'];

/** mlp: dense layers only; conv: two stride-2 convolutions (32, 64 channels) before the dense layers, mirrored by transposed convolutions. */
export type Architecture = 'mlp' | 'conv';
export const ARCHITECTURES: readonly Architecture[] = ['mlp', 'conv'];

/** Channels of the conv encoder's two stride-2 layers; the decoder mirrors them. */
export const CONV_CHANNELS: readonly [number, number] = [32, 64];

export interface VaeConfig {
  /** Pixels per example (784 for MNIST). */
  inputDim: number;
  /** Image height and width, for pictures of inputs and outputs. */
  imageHeight: number;
  imageWidth: number;
  /** Image channels (1 grey, 3 RGB); absent = 1. inputDim = channels * imageHeight * imageWidth. */
  channels?: number;
  /** Hidden dense layer widths of the encoder; the decoder mirrors them. */
  hidden: number[];
  /** Dimension of the latent variable z. */
  latent: number;
  /** The decoder's distribution over each pixel. */
  likelihood: Likelihood;
  /** The fixed standard deviation of a `gaussian-fixed` decoder, in pixel units ([0, 1] scale). */
  sigma?: number;
  /** How a Gaussian decoder's mean follows from its network's output (absent: unbounded, as in older checkpoints; vae train writes sigmoid). */
  gaussianMean?: GaussianMean;
  /** Network family (default mlp; checkpoints from before it existed are MLPs). */
  arch?: Architecture;
  /**
   * A conditional VAE when > 0: encoder and decoder also take the one-hot class label, with
   * this many classes. Absent or 0: an ordinary VAE.
   */
  classes?: number;
}

/** The classic PyTorch example's model: 784 -> 400 -> 20, Bernoulli decoder. */
export const DEFAULT_VAE_CONFIG: VaeConfig = {
  inputDim: 784,
  imageHeight: 28,
  imageWidth: 28,
  hidden: [400],
  latent: 20,
  likelihood: 'bernoulli',
};

/** Standard deviation of a gaussian-fixed decoder when none is given. */
export const DEFAULT_SIGMA = 0.1;

/** Far beyond any VAE on images this size; guards against a typo allocating gigabytes. */
export const MAX_PARAMETERS = 100_000_000;

export function gaussianMeanOf(c: VaeConfig): GaussianMean {
  return c.gaussianMean ?? 'unbounded';
}

export function archOf(c: VaeConfig): Architecture {
  return c.arch ?? 'mlp';
}

export function classesOf(c: VaeConfig): number {
  return c.classes ?? 0;
}

/** True when the decoder is a density over continuous pixels, so data are dequantized for it. */
export function isContinuous(likelihood: Likelihood): boolean {
  return likelihood !== 'bernoulli';
}

/** Per-pixel parameters the decoder outputs: 2 (mean, log-variance) for a learned-variance Gaussian. */
export function decoderOutputsPerPixel(c: VaeConfig): number {
  return c.likelihood === 'gaussian' ? 2 : 1;
}

/** Weights and biases of the encoder (with its two heads) and the mirrored decoder. */
export function parameterCount(c: VaeConfig): number {
  const dense = (widths: number[]): number => widths.slice(1).reduce((n, w, i) => n + widths[i]! * w + w, 0);
  const classes = classesOf(c);
  const perPixel = decoderOutputsPerPixel(c);
  const last = c.hidden[c.hidden.length - 1] ?? c.inputDim;
  const heads = 2 * (last * c.latent + c.latent);
  const mirrored = [...c.hidden].reverse();
  if (archOf(c) === 'mlp') {
    const encoder = dense([c.inputDim + classes, ...c.hidden]) + heads;
    const decoder = dense([c.latent + classes, ...mirrored, c.inputDim]) + (perPixel === 2 ? mirrored[mirrored.length - 1]! * c.inputDim + c.inputDim : 0);
    return encoder + decoder;
  }
  const [c1, c2] = CONV_CHANNELS;
  const flat = c2 * (c.imageHeight / 4) * (c.imageWidth / 4);
  const convs = 9 * c1 + c1 + 9 * c1 * c2 + c2;
  const encoder = convs + dense([flat + classes, ...c.hidden]) + heads;
  const deconvs = 9 * c2 * c1 + c1 + 9 * c1 * perPixel + perPixel;
  const decoder = dense([c.latent + classes, ...mirrored, flat]) + deconvs;
  return encoder + decoder;
}

/** Throws RangeError naming the first field that is not a valid architecture. */
export function validateVaeConfig(c: VaeConfig): void {
  const positive = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (!positive(c.inputDim)) throw new RangeError(`inputDim must be a positive integer, got ${c.inputDim}`);
  if (c.channels !== undefined && c.channels !== 1 && c.channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${c.channels}`);
  if (!positive(c.imageHeight) || !positive(c.imageWidth) || (c.channels ?? 1) * c.imageHeight * c.imageWidth !== c.inputDim) {
    throw new RangeError(`image size ${(c.channels ?? 1) === 1 ? '' : `${c.channels} channels of `}${c.imageHeight}x${c.imageWidth} does not match inputDim ${c.inputDim}`);
  }
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || !c.hidden.every(positive)) {
    throw new RangeError(`hidden must be a list of positive integers, got ${JSON.stringify(c.hidden)}`);
  }
  if (!positive(c.latent)) throw new RangeError(`latent must be a positive integer, got ${c.latent}`);
  if (!LIKELIHOODS.includes(c.likelihood)) throw new RangeError(`unknown likelihood ${String(c.likelihood)} (expected ${LIKELIHOODS.join(', ')})`);
  if (c.likelihood === 'gaussian-fixed') {
    if (typeof c.sigma !== 'number' || !(c.sigma > 0) || !Number.isFinite(c.sigma)) {
      throw new RangeError(`sigma must be a number > 0 for the gaussian-fixed likelihood, got ${c.sigma}`);
    }
  } else if (c.sigma !== undefined) {
    throw new RangeError(`sigma applies only to the gaussian-fixed likelihood, not ${c.likelihood}`);
  }
  if (c.gaussianMean !== undefined) {
    if (!GAUSSIAN_MEANS.includes(c.gaussianMean)) throw new RangeError(`unknown gaussianMean ${String(c.gaussianMean)} (expected ${GAUSSIAN_MEANS.join(' or ')})`);
    if (!isContinuous(c.likelihood)) throw new RangeError(`gaussianMean applies only to the Gaussian likelihoods, not ${c.likelihood}`);
  }
  if (c.arch !== undefined && !ARCHITECTURES.includes(c.arch)) throw new RangeError(`unknown architecture ${String(c.arch)} (expected mlp or conv)`);
  if (archOf(c) === 'conv' && (c.imageHeight % 4 !== 0 || c.imageWidth % 4 !== 0)) {
    throw new RangeError(`the conv architecture halves the image twice, so its sides must be multiples of 4; got ${c.imageHeight}x${c.imageWidth}`);
  }
  if (c.classes !== undefined && (!Number.isInteger(c.classes) || c.classes < 0 || c.classes > 1000)) {
    throw new RangeError(`classes must be an integer in [0, 1000], got ${c.classes}`);
  }
  const count = parameterCount(c);
  if (count > MAX_PARAMETERS) {
    throw new RangeError(
      `the model would have ${count.toLocaleString('en-US')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en-US')} this toolkit allows`,
    );
  }
}
