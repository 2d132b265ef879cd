/** A trained model's disentanglement scores on data whose generating factors are known (dsprites). */
import { Tensor, noGrad } from '../engine/tensor.js';
import { UserError } from '../errors.js';
import { DSPRITES_GROUND_TRUTH, DSPRITES_SIDE } from '../data/dsprites.js';
import {
  DISENTANGLEMENT_LIB_SETTINGS,
  disentanglementScores,
  type DisentanglementScores,
  type DisentanglementSettings,
  type GroundTruthData,
} from '../measure/disentanglement.js';
import type { VAE } from '../vae/model.js';

/** Observations the scores encode in all under `settings`: for a progress bar. */
export function disentanglementWork(settings: DisentanglementSettings = DISENTANGLEMENT_LIB_SETTINGS): number {
  return settings.migPoints + settings.sapTest + settings.factorVaeVariancePoints + (settings.factorVaeTrain + settings.factorVaeEval) * settings.factorVaeBatch;
}

/** The ground truth of a dataset spec, or a UserError saying why there is none. */
export function groundTruthFor(command: string, dataset: string, model: VAE): GroundTruthData {
  if (dataset !== 'dsprites') throw new UserError(`${command}: disentanglement scores need data with known factors; ${dataset} has none (train on --dataset dsprites)`);
  const c = model.config;
  if (c.imageHeight !== DSPRITES_SIDE || c.imageWidth !== DSPRITES_SIDE || c.inputDim !== DSPRITES_SIDE * DSPRITES_SIDE) {
    throw new UserError(`${command}: the model takes ${c.imageHeight}x${c.imageWidth} images, dsprites are ${DSPRITES_SIDE}x${DSPRITES_SIDE}`);
  }
  if (model.classes > 0) throw new UserError(`${command}: a conditional model sees the shape as its label; disentanglement scores are for models that find the factors alone`);
  return DSPRITES_GROUND_TRUTH;
}

/**
 * MIG, the FactorVAE score and SAP of the model's posterior means (disentanglement_lib's
 * representation), from `seed`; `onProgress` hears the observations encoded so far.
 */
export function modelDisentanglement(
  model: VAE,
  gt: GroundTruthData,
  options: { seed?: number; settings?: DisentanglementSettings; onProgress?: (encoded: number) => void } = {},
): DisentanglementScores {
  let encoded = 0;
  const represent = (observations: Float32Array, count: number): Float32Array =>
    noGrad(() => {
      const mu = model.encode(new Tensor(observations.subarray(0, count * gt.valuesPerObservation), [count, gt.valuesPerObservation])).mu.data;
      encoded += count;
      options.onProgress?.(encoded);
      return mu;
    });
  return disentanglementScores(gt, represent, options.seed ?? 0, options.settings ?? DISENTANGLEMENT_LIB_SETTINGS);
}
