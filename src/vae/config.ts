/** What defines a VAE's architecture: enough to rebuild it from a checkpoint. */
export interface VaeConfig {
  /** Pixels per example (784 for MNIST). */
  inputDim: number;
  /** Image height and width, for pictures of inputs and outputs. */
  imageHeight: number;
  imageWidth: number;
  /** Hidden layer widths of the encoder; the decoder mirrors them. */
  hidden: number[];
  /** Dimension of the latent variable z. */
  latent: number;
  /** The decoder's distribution over each pixel. */
  likelihood: 'bernoulli';
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

/** Far beyond any MLP VAE on images this size; guards against a typo allocating gigabytes. */
export const MAX_PARAMETERS = 100_000_000;

/** Weights and biases of the encoder (with its two heads) and the mirrored decoder. */
export function parameterCount(c: VaeConfig): number {
  const dense = (widths: number[]): number =>
    widths.slice(1).reduce((n, w, i) => n + widths[i]! * w + w, 0);
  const last = c.hidden[c.hidden.length - 1] ?? c.inputDim;
  const encoder = dense([c.inputDim, ...c.hidden]) + 2 * (last * c.latent + c.latent);
  const decoder = dense([c.latent, ...[...c.hidden].reverse(), c.inputDim]);
  return encoder + decoder;
}

/** Throws RangeError naming the first field that is not a valid architecture. */
export function validateVaeConfig(c: VaeConfig): void {
  const positive = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (!positive(c.inputDim)) throw new RangeError(`inputDim must be a positive integer, got ${c.inputDim}`);
  if (!positive(c.imageHeight) || !positive(c.imageWidth) || c.imageHeight * c.imageWidth !== c.inputDim) {
    throw new RangeError(`image size ${c.imageHeight}x${c.imageWidth} does not match inputDim ${c.inputDim}`);
  }
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || !c.hidden.every(positive)) {
    throw new RangeError(`hidden must be a list of positive integers, got ${JSON.stringify(c.hidden)}`);
  }
  if (!positive(c.latent)) throw new RangeError(`latent must be a positive integer, got ${c.latent}`);
  const count = parameterCount(c);
  if (count > MAX_PARAMETERS) {
    throw new RangeError(
      `the model would have ${count.toLocaleString('en-US')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en-US')} this toolkit allows`,
    );
  }
  if (c.likelihood !== 'bernoulli') throw new RangeError(`unknown likelihood ${String(c.likelihood)}`);
}
