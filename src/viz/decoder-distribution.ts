/**
 * The decoder as a distribution over every pixel: for a latent code z, its mean E[x|z], a
 * per-pixel spread, and draws from it. Each likelihood supplies its own (see
 * src/vae/decoded-pixels.ts); this adds the words and the color scale figures need.
 */
import { Tensor } from '../engine/tensor.js';
import type { Random } from '../engine/random.js';
import { decodePixels } from '../vae/decoded-pixels.js';
import type { VAE } from '../vae/model.js';

export interface PixelDistribution {
  /** E[x | z], one value per pixel, in [0, 1]. */
  mean: Float32Array;
  /** How much each pixel varies around its mean. */
  spread: Float32Array;
  /** One image drawn pixel by pixel, independently, from p(x | z) (clamped to [0, 1] for display). */
  sample(rng: Random): Float32Array;
}

export interface DecoderDistribution {
  /** Name of the spread as a formula, for figure labels. */
  spreadName: string;
  /** Largest value the spread's color scale shows (larger values take its top color). */
  spreadMax: number;
  /** A few words on what the spread is, for captions. */
  spreadMeaning: string;
  /** How the draws are made, for the figure's column heading. */
  drawsName: string;
  /**
   * The distribution of one image for a single latent code z (length latent); a conditional
   * model also takes the class it is decoded as.
   */
  at(z: Float32Array, label?: number): PixelDistribution;
}

/**
 * Top of the color scale of a Gaussian decoder's standard deviation: a pixel with sigma 0.5 on
 * a [0, 1] grey scale says next to nothing about its value, so nothing above needs telling apart.
 */
const GAUSSIAN_SPREAD_MAX = 0.5;

/** The per-pixel distribution of `model`'s decoder, according to its likelihood. */
export function decoderDistribution(model: VAE): DecoderDistribution {
  const at = (z: Float32Array, label?: number): PixelDistribution =>
    decodePixels(model, new Tensor(Float32Array.from(z), [1, model.config.latent]), label === undefined ? undefined : [label]);
  switch (model.config.likelihood) {
    case 'bernoulli':
      return {
        spreadName: 'p(1 \u2212 p)',
        spreadMax: 0.25,
        spreadMeaning: 'the Bernoulli variance p(1 \u2212 p), largest (0.25) where the decoder is least sure whether a pixel is ink',
        drawsName: 'x ~ p(x|z), each pixel independently',
        at,
      };
    case 'gaussian':
    case 'gaussian-fixed': {
      const fixed = model.config.likelihood === 'gaussian-fixed';
      return {
        spreadName: fixed ? `\u03c3 = ${model.config.sigma}` : '\u03c3 = exp(lv / 2)',
        spreadMax: Math.max(GAUSSIAN_SPREAD_MAX, model.config.sigma ?? 0),
        spreadMeaning: fixed
          ? `the Gaussian standard deviation, fixed at \u03c3 = ${model.config.sigma} for every pixel`
          : 'the standard deviation \u03c3 = exp(lv / 2) of each pixel\u2019s Gaussian, from the decoder\u2019s log-variance lv',
        drawsName: 'x = mean + \u03c3\u00b7\u03b5 per pixel, clamped to [0, 1]',
        at,
      };
    }
    case 'logistic':
      return {
        spreadName: 's\u00b7\u03c0/\u221a3',
        spreadMax: GAUSSIAN_SPREAD_MAX,
        spreadMeaning: 'the standard deviation s\u00b7\u03c0/\u221a3 of each value\u2019s logistic, from the decoder\u2019s log-scale',
        drawsName: 'x ~ p(x|z): one of the 256 grey levels per value, independently',
        at,
      };
  }
}
