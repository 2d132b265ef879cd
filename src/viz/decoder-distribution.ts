/**
 * The decoder as a distribution over every pixel: for a latent code z, its mean E[x|z], a
 * per-pixel spread, and draws from it. Each likelihood supplies its own; figures only ask.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import type { Random } from '../engine/random.js';
import { bernoulliMean, bernoulliSample } from '../vae/likelihood.js';
import type { VAE } from '../vae/model.js';

export interface PixelDistribution {
  /** E[x | z], one value per pixel. */
  mean: Float32Array;
  /** How much each pixel varies around its mean. */
  spread: Float32Array;
  /** One image drawn pixel by pixel, independently, from p(x | z). */
  sample(rng: Random): Float32Array;
}

export interface DecoderDistribution {
  /** Name of the spread as a formula, for figure labels. */
  spreadName: string;
  /** Largest value the spread can take (the top of its color scale). */
  spreadMax: number;
  /** A few words on what the spread is, for captions. */
  spreadMeaning: string;
  /** The distribution of one image for a single latent code z (length latent). */
  at(z: Float32Array): PixelDistribution;
}

/** The per-pixel distribution of `model`'s decoder, according to its likelihood. */
export function decoderDistribution(model: VAE): DecoderDistribution {
  const decodeOne = (z: Float32Array): Tensor => noGrad(() => model.decode(new Tensor(Float32Array.from(z), [1, model.config.latent])));
  switch (model.config.likelihood) {
    case 'bernoulli':
      return {
        spreadName: 'p(1 \u2212 p)',
        spreadMax: 0.25,
        spreadMeaning: 'the Bernoulli variance p(1 \u2212 p), largest (0.25) where the decoder is least sure whether a pixel is ink',
        at(z) {
          const logits = decodeOne(z);
          const mean = bernoulliMean(logits);
          return {
            mean,
            spread: mean.map((p) => p * (1 - p)),
            sample: (rng) => bernoulliSample(logits, rng),
          };
        },
      };
    default:
      throw new RangeError(`decoderDistribution: no per-pixel distribution for likelihood ${String(model.config.likelihood)}`);
  }
}
