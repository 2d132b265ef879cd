/**
 * log p(x) estimated with K importance samples, the bound of Burda et al. (2015):
 *   log p(x) >= L_K = log (1/K) sum_k p(x, z_k) / q(z_k | x),   z_k ~ q(z|x),
 * which tightens as K grows; the test negative log-likelihood is reported as -L_K with a
 * large K (5000 in the literature).
 *
 * The work is batched and streamed: at most `budget` samples (examples x samples) are in
 * flight, and each example's log-sum-exp is carried across chunks of samples as a running
 * maximum and a sum rescaled to it, so K = 5000 needs no more memory than K = 50.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { Random } from '../engine/random.js';
import { batches } from '../data/batches.js';
import { valuesPerImage, type ImageDataset } from '../data/dataset.js';
import type { VAE } from '../vae/model.js';
import { EVAL_SEED, evalBatchOptions, type EvaluateOptions } from './evaluate.js';

export interface IwEstimate {
  /** -L_K averaged over examples, in nats per example. */
  nll: number;
  k: number;
  count: number;
}

export interface IwOptions extends EvaluateOptions {
  /** Samples per decoder pass (examples x samples); bounds memory. Default 4096. */
  budget?: number;
}

export const MAX_IW_K = 1_000_000;

export function importanceWeightedNll(model: VAE, data: ImageDataset, k: number, options: IwOptions = {}): IwEstimate {
  if (!Number.isInteger(k) || k < 1 || k > MAX_IW_K) throw new RangeError(`K must be an integer in [1, ${MAX_IW_K}], got ${k}`);
  const budget = options.budget ?? 4096;
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`budget must be a positive integer, got ${budget}`);
  const rng = new Random(options.seed ?? EVAL_SEED);
  const dim = valuesPerImage(data);
  const perChunk = Math.min(k, budget);
  const examplesPerBatch = Math.max(1, Math.floor(budget / perChunk));
  let total = 0;
  let done = 0;
  noGrad(() => {
    for (const batch of batches(data, examplesPerBatch, evalBatchOptions(model, options, rng))) {
      const n = batch.size;
      const x = new Tensor(batch.x, [n, dim]);
      const max = new Float64Array(n).fill(-Infinity);
      const scaled = new Float64Array(n); // sum_k exp(log w_k - max)
      for (let done = 0; done < k; done += perChunk) {
        const kc = Math.min(perChunk, k - done);
        const { logw } = model.logImportanceWeights(x, kc, rng, batch.labels);
        for (let i = 0; i < n; i++) {
          let m = max[i]!;
          for (let j = 0; j < kc; j++) m = Math.max(m, logw.data[i * kc + j]!);
          let s = scaled[i]! * Math.exp(max[i]! - m);
          if (!Number.isFinite(s)) s = 0; // first chunk: max was -Infinity
          for (let j = 0; j < kc; j++) s += Math.exp(logw.data[i * kc + j]! - m);
          max[i] = m;
          scaled[i] = s;
        }
      }
      for (let i = 0; i < n; i++) total += -(max[i]! + Math.log(scaled[i]!) - Math.log(k));
      done += n;
      options.onProgress?.(done);
    }
  });
  return { nll: total / data.count, k, count: data.count };
}
