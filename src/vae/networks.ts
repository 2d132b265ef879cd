/**
 * The two networks of a VAE, as interfaces, and the MLP pair.
 *   encoder q(z|x): x -> hidden layers (ReLU) -> mu, logvar   (two heads, as fc21 / fc22 in
 *                   the PyTorch example)
 *   decoder p(x|z): z -> hidden layers (ReLU, mirrored) -> the parameters of each pixel's
 *                   distribution: logits (Bernoulli) or means, plus a log-variance head when
 *                   the variance is learned
 * A conditional VAE appends the one-hot label y to the encoder's input and to z.
 */
import type { Tensor } from '../engine/tensor.js';
import { concat } from '../engine/ops/shape.js';
import type { Random } from '../engine/random.js';
import { Linear } from '../nn/linear.js';
import type { Parameters } from '../nn/parameters.js';

export interface Posterior {
  mu: Tensor;
  logvar: Tensor;
}

/** The decoder's parameters per value, each [N, inputDim] (channels x height x width, CHW). */
export interface DecoderOutput {
  /** Bernoulli logits, or the Gaussian or logistic means before their squashing. */
  mean: Tensor;
  /** The unfloored log-variance of a learned-variance Gaussian, or the unfloored log-scale of a logistic; null otherwise. */
  rawLogvar: Tensor | null;
}

export interface Encoder {
  /** q(z|x) = N(mu, diag(exp(logvar))) for x [N, pixels]; y is the one-hot label of a conditional VAE. */
  forward(x: Tensor, y: Tensor | null): Posterior;
  parameters(prefix: string): Parameters;
}

export interface Decoder {
  forward(z: Tensor, y: Tensor | null): DecoderOutput;
  parameters(prefix: string): Parameters;
}

export function withLabel(t: Tensor, y: Tensor | null): Tensor {
  return y === null ? t : concat([t, y]);
}

export class MlpEncoder implements Encoder {
  readonly layers: Linear[];
  readonly mu: Linear;
  readonly logvar: Linear;

  constructor(inputDim: number, hidden: readonly number[], latent: number, rng: Random, classes = 0) {
    const widths = [inputDim + classes, ...hidden];
    this.layers = hidden.map((h, i) => new Linear(widths[i]!, h, rng));
    const last = widths[widths.length - 1]!;
    this.mu = new Linear(last, latent, rng);
    this.logvar = new Linear(last, latent, rng);
  }

  forward(x: Tensor, y: Tensor | null = null): Posterior {
    let h = withLabel(x, y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.mu.parameters(`${prefix}.mu`),
      ...this.logvar.parameters(`${prefix}.logvar`),
    ];
  }
}

export class MlpDecoder implements Decoder {
  readonly layers: Linear[];
  readonly out: Linear;
  /** The log-variance head of a learned-variance Gaussian decoder. */
  readonly logvar: Linear | null;

  constructor(latent: number, hidden: readonly number[], outputDim: number, rng: Random, options: { classes?: number; logvarHead?: boolean } = {}) {
    const mirrored = [...hidden].reverse();
    const widths = [latent + (options.classes ?? 0), ...mirrored];
    this.layers = mirrored.map((h, i) => new Linear(widths[i]!, h, rng));
    const last = widths[widths.length - 1]!;
    this.out = new Linear(last, outputDim, rng);
    this.logvar = options.logvarHead === true ? new Linear(last, outputDim, rng) : null;
  }

  forward(z: Tensor, y: Tensor | null = null): DecoderOutput {
    let h = withLabel(z, y);
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    return { mean: this.out.forward(h), rawLogvar: this.logvar === null ? null : this.logvar.forward(h) };
  }

  parameters(prefix: string): Parameters {
    return [
      ...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)),
      ...this.out.parameters(`${prefix}.out`),
      ...(this.logvar === null ? [] : this.logvar.parameters(`${prefix}.logvar`)),
    ];
  }
}
