/**
 * How much of the latent space a model uses.
 *  - active units (Burda et al. 2015): dimension d is active when its posterior mean moves
 *    with the input, Cov_x(E_q(z|x)[z_d]) > 0.01; inactive dimensions have collapsed to the
 *    prior and carry nothing.
 *  - KL per dimension: the test-set average of KL(q(z_d|x) || N(0, 1)), the nats each
 *    dimension spends; they add up to the KL term of the NELBO.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { Random } from '../engine/random.js';
import { batches } from '../data/batches.js';
import { valuesPerImage, type ImageDataset } from '../data/dataset.js';
import type { VAE } from '../vae/model.js';
import { EVAL_SEED, evalBatchOptions, type EvaluateOptions } from './evaluate.js';

export const ACTIVE_UNIT_THRESHOLD = 0.01;

export interface LatentStatistics {
  activeUnits: number;
  /** Variance across the data of each dimension's posterior mean. */
  meanVariance: number[];
  klPerDim: number[];
}

export function latentStatistics(model: VAE, data: ImageDataset, options: EvaluateOptions = {}): LatentStatistics {
  const rng = new Random(options.seed ?? EVAL_SEED);
  const dim = valuesPerImage(data);
  const L = model.config.latent;
  const sum = new Float64Array(L);
  const sumSq = new Float64Array(L);
  const kl = new Float64Array(L);
  noGrad(() => {
    for (const batch of batches(data, options.batchSize ?? 1000, evalBatchOptions(model, options, rng))) {
      const { mu, logvar } = model.encode(new Tensor(batch.x, [batch.size, dim]), batch.labels);
      for (let i = 0; i < batch.size; i++) {
        for (let d = 0; d < L; d++) {
          const m = mu.data[i * L + d]!;
          const lv = logvar.data[i * L + d]!;
          sum[d]! += m;
          sumSq[d]! += m * m;
          kl[d]! += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
        }
      }
    }
  });
  const n = data.count;
  const meanVariance = Array.from(sum, (s, d) => Math.max(0, sumSq[d]! / n - (s / n) ** 2));
  return {
    activeUnits: meanVariance.filter((v) => v > ACTIVE_UNIT_THRESHOLD).length,
    meanVariance,
    klPerDim: Array.from(kl, (v) => v / n),
  };
}
