/** What defines a VAE's architecture: enough to rebuild it from a checkpoint. */

/**
 * The decoder's distribution over each pixel:
 *  - bernoulli: one logit per pixel;
 *  - gaussian: a mean and a log-variance per pixel, both learned;
 *  - gaussian-fixed: a learned mean, and one fixed standard deviation `sigma` for all pixels;
 *  - logistic: the discretized logistic of 8-bit values (PixelCNN++, Salimans et al. 2017;
 *    IAF-VAE, Kingma et al. 2016): a mean and a log-scale per value, and the probability of
 *    each of the 256 grey levels (see src/engine/ops/logistic.ts).
 */
export type Likelihood = 'bernoulli' | 'gaussian' | 'gaussian-fixed' | 'logistic';
export const LIKELIHOODS: readonly Likelihood[] = ['bernoulli', 'gaussian', 'gaussian-fixed', 'logistic'];

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

/** mlp: dense layers only; conv: stride-2 convolutions (32, 64 channels unless convChannels says otherwise) before the dense layers, mirrored by transposed convolutions. */
export type Architecture = 'mlp' | 'conv';
export const ARCHITECTURES: readonly Architecture[] = ['mlp', 'conv'];

/** Channels of the conv encoder's stride-2 layers when the config names none (every checkpoint from before convChannels); the decoder mirrors them. */
export const CONV_CHANNELS: readonly [number, number] = [32, 64];

/** Stride-2 stages a conv model may have: at 8 a side of 256 is down to 1. */
export const MAX_CONV_STAGES = 8;

export interface VaeConfig {
  /** Values per example: channels x height x width (784 for MNIST). */
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
  /** Conv architecture: channels of each stride-2 stage of the encoder; the decoder mirrors them. Absent = [32, 64]. */
  convChannels?: number[];
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

export function channelsOf(c: VaeConfig): number {
  return c.channels ?? 1;
}

export function convChannelsOf(c: VaeConfig): number[] {
  return c.convChannels ?? [...CONV_CHANNELS];
}

/**
 * True when the decoder is a density over continuous pixels, so data are dequantized for it.
 * The discretized logistic is not: it gives each 8-bit value a probability, so it takes the
 * values as they are (scaled to k / 255).
 */
export function isContinuous(likelihood: Likelihood): boolean {
  return likelihood === 'gaussian' || likelihood === 'gaussian-fixed';
}

/** True when the likelihood is a normalized distribution over the 256 levels of 8-bit data. */
export function isDiscretized(likelihood: Likelihood): boolean {
  return likelihood === 'logistic';
}

/** Parameters the decoder outputs per value: 2 for a learned-variance Gaussian (mean, log-variance) and the logistic (mean, log-scale). */
export function decoderOutputsPerPixel(c: VaeConfig): number {
  return c.likelihood === 'gaussian' || c.likelihood === 'logistic' ? 2 : 1;
}

/**
 * Why a conv model's stages do not fit an image size, with the nearest sizes that do, or null
 * when they fit: each stride-2 stage halves both sides, so they must be multiples of 2^stages.
 */
export function convSizeProblem(height: number, width: number, stages: number): string | null {
  const m = 2 ** stages;
  if (height % m === 0 && width % m === 0) return null;
  const nearest = (side: number): number[] => {
    const below = Math.floor(side / m) * m;
    const above = below + m;
    if (below === 0) return [above];
    if (side - below === above - side) return [below, above];
    return [side - below < above - side ? below : above];
  };
  const sizes: string[] = [];
  if (height === width) for (const side of nearest(height)) sizes.push(`${side}x${side}`);
  else for (const h of nearest(height)) for (const w of nearest(width)) sizes.push(`${h}x${w}`);
  return (
    `an image of ${height}x${width} does not fit ${stages} stride-2 conv stage${stages === 1 ? '' : 's'}: each halves both sides, ` +
    `so they must be multiples of ${m}; nearest size${sizes.length === 1 ? '' : 's'} that fit${sizes.length === 1 ? 's' : ''}: ${sizes.join(' or ')}`
  );
}

/** Side lengths of the conv stages' outputs: [height, width] after the last stride-2 stage. */
function convGrid(c: VaeConfig): { height: number; width: number } {
  const m = 2 ** convChannelsOf(c).length;
  return { height: c.imageHeight / m, width: c.imageWidth / m };
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
  // 3x3 kernels with a bias per output channel, from the data's channels through each stage.
  const stages = convChannelsOf(c);
  const conv = (from: number, to: number): number => 9 * from * to + to;
  const grid = convGrid(c);
  const flat = stages[stages.length - 1]! * grid.height * grid.width;
  const planes = [channelsOf(c), ...stages];
  const convs = stages.reduce((n, to, i) => n + conv(planes[i]!, to), 0);
  const encoder = convs + dense([flat + classes, ...c.hidden]) + heads;
  const deconvPlanes = [...stages].reverse();
  const deconvs = deconvPlanes.reduce((n, from, i) => n + conv(from, deconvPlanes[i + 1] ?? channelsOf(c) * perPixel), 0);
  const decoder = dense([c.latent + classes, ...mirrored, flat]) + deconvs;
  return encoder + decoder;
}

/** Throws RangeError naming the first field that is not a valid architecture. */
export function validateVaeConfig(c: VaeConfig): void {
  const positive = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (!positive(c.inputDim)) throw new RangeError(`inputDim must be a positive integer, got ${c.inputDim}`);
  if (c.channels !== undefined && c.channels !== 1 && c.channels !== 3) throw new RangeError(`channels must be 1 (grey) or 3 (RGB), got ${c.channels}`);
  const channels = channelsOf(c);
  if (!positive(c.imageHeight) || !positive(c.imageWidth) || channels * c.imageHeight * c.imageWidth !== c.inputDim) {
    const shape = `${channels === 1 ? '' : `${channels}x`}${c.imageHeight}x${c.imageWidth}`;
    throw new RangeError(`image size ${shape} does not match inputDim ${c.inputDim}`);
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
  if (c.convChannels !== undefined) {
    if (archOf(c) !== 'conv') throw new RangeError('convChannels applies only to the conv architecture');
    const ok = Array.isArray(c.convChannels) && c.convChannels.length >= 1 && c.convChannels.length <= MAX_CONV_STAGES;
    if (!ok || !c.convChannels.every((n) => positive(n) && n <= 4096)) {
      throw new RangeError(`convChannels must list 1 to ${MAX_CONV_STAGES} channel counts in [1, 4096], got ${JSON.stringify(c.convChannels)}`);
    }
  }
  if (archOf(c) === 'conv') {
    const problem = convSizeProblem(c.imageHeight, c.imageWidth, convChannelsOf(c).length);
    if (problem !== null) throw new RangeError(problem);
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
