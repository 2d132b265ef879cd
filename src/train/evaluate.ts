/**
 * Test-set evaluation: the negative ELBO and its two terms, in nats per example, averaged
 * over every example. Evaluation has its own generator, seeded the same way every time, so
 * a model's numbers do not depend on when it is evaluated: `vae eval` on a checkpoint
 * reproduces the test_nelbo its training run logged.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { Random } from '../engine/random.js';
import { batches, type BatchOptions, type Binarize } from '../data/batches.js';
import { isContinuous } from '../vae/config.js';
import { valuesPerImage, type ImageDataset } from '../data/dataset.js';
import type { VAE } from '../vae/model.js';

export interface Evaluation {
  nelbo: number;
  recon: number;
  kl: number;
  count: number;
}

export interface EvaluateOptions {
  binarize?: Binarize;
  /** Dequantize pixels (default: when the model's likelihood is a continuous density). */
  dequantize?: boolean;
  /** Seed of the evaluation generator (eps, and binarization when dynamic). */
  seed?: number;
  batchSize?: number;
  /** Called after each batch with the number of examples done so far: for progress displays. */
  onProgress?: (examplesDone: number) => void;
}

export const EVAL_SEED = 20151;

export function evaluate(model: VAE, data: ImageDataset, options: EvaluateOptions = {}): Evaluation {
  const rng = new Random(options.seed ?? EVAL_SEED);
  const dim = valuesPerImage(data);
  let recon = 0;
  let kl = 0;
  let done = 0;
  noGrad(() => {
    for (const batch of batches(data, options.batchSize ?? 1000, evalBatchOptions(model, options, rng))) {
      const terms = model.loss(new Tensor(batch.x, [batch.size, dim]), rng, { labels: batch.labels });
      for (let i = 0; i < batch.size; i++) {
        recon += terms.recon[i]!;
        kl += terms.kl[i]!;
      }
      done += batch.size;
      options.onProgress?.(done);
    }
  });
  const n = data.count;
  return { nelbo: (recon + kl) / n, recon: recon / n, kl: kl / n, count: n };
}

/** How evaluation serves a model its test data: in order, binarized or dequantized as in training. */
export function evalBatchOptions(model: VAE, options: EvaluateOptions, rng: Random): BatchOptions {
  const binarize = options.binarize ?? 'none';
  const dequantize = options.dequantize ?? (binarize === 'none' && isContinuous(model.config.likelihood));
  return { shuffle: null, binarize, rng, dequantize };
}
