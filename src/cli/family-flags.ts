/**
 * Helpers about members of the VAE family that several commands share: how to reload a
 * run's data, how to name its objective, which labels to draw a conditional model's samples
 * with. (The flags that choose a member are settings of a run: src/run/settings.ts.)
 */
import type { DatasetOptions } from '../data/source.js';
import type { TrainingState } from '../train/checkpoint.js';
import type { TrainingConfig } from '../train/config.js';
import type { VAE } from '../vae/model.js';

/** How to reload a run's data so it matches the model: folder images at the model's size, split by the run's seed. */
export function datasetOptionsForModel(state: TrainingState): DatasetOptions {
  return { imageSize: state.model.config.imageHeight, seed: state.config.training.seed };
}

export function describeObjective(t: TrainingConfig): string {
  if (t.objective === 'iwae') return `IWAE bound, K = ${t.k ?? 1}`;
  const beta = t.beta ?? 1;
  const warm = t.klWarmup ?? 0;
  return `${beta === 1 ? 'ELBO' : `beta-ELBO, beta = ${beta}`}${warm > 0 ? `, KL warm-up over ${warm} steps` : ''}`;
}

/** Labels for pictures of a conditional model's samples: the classes in turn. */
export function sampleLabels(model: VAE, count: number): Uint16Array | undefined {
  if (model.classes === 0) return undefined;
  return Uint16Array.from({ length: count }, (_, i) => i % model.classes);
}
