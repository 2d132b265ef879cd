/**
 * The two networks of an MLP VAE.
 *   encoder q(z|x): x -> hidden layers (ReLU) -> mu, logvar   (two heads, as fc21 / fc22 in
 *                   the PyTorch example)
 *   decoder p(x|z): z -> hidden layers (ReLU, mirrored) -> one parameter per pixel (logits)
 */
import type { Tensor } from '../engine/tensor.js';
import type { Random } from '../engine/random.js';
import { Linear } from '../nn/linear.js';
import type { Parameters } from '../nn/parameters.js';

export class MlpEncoder {
  readonly layers: Linear[];
  readonly mu: Linear;
  readonly logvar: Linear;

  constructor(inputDim: number, hidden: readonly number[], latent: number, rng: Random) {
    const widths = [inputDim, ...hidden];
    this.layers = hidden.map((h, i) => new Linear(widths[i]!, h, rng));
    const last = widths[widths.length - 1]!;
    this.mu = new Linear(last, latent, rng);
    this.logvar = new Linear(last, latent, rng);
  }

  /** The posterior's parameters: q(z|x) = N(mu, diag(exp(logvar))). */
  forward(x: Tensor): { mu: Tensor; logvar: Tensor } {
    let h = x;
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

export class MlpDecoder {
  readonly layers: Linear[];
  readonly out: Linear;

  constructor(latent: number, hidden: readonly number[], outputDim: number, rng: Random) {
    const mirrored = [...hidden].reverse();
    const widths = [latent, ...mirrored];
    this.layers = mirrored.map((h, i) => new Linear(widths[i]!, h, rng));
    this.out = new Linear(widths[widths.length - 1]!, outputDim, rng);
  }

  /** The decoder's per-pixel distribution parameters (Bernoulli logits). */
  forward(z: Tensor): Tensor {
    let h = z;
    for (const layer of this.layers) h = layer.forward(h, 'relu');
    return this.out.forward(h);
  }

  parameters(prefix: string): Parameters {
    return [...this.layers.flatMap((l, i) => l.parameters(`${prefix}.layers.${i}`)), ...this.out.parameters(`${prefix}.out`)];
  }
}
