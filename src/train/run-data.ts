/** How a trained model's data are found again. */
import type { DatasetOptions } from '../data/source.js';
import type { TrainingState } from './checkpoint.js';

/**
 * How to reload a run's data so it matches the model: folder and emoji images at the model's
 * size and channels, fitted as the run fitted them, split by the run's seed and test share.
 */
export function datasetOptionsForModel(state: TrainingState): DatasetOptions {
  const { model, training } = state.config;
  return {
    imageSize: { height: model.imageHeight, width: model.imageWidth },
    channels: model.channels === 3 ? 3 : 1,
    // Runs from before fits were kept stretched their images, and laid transparent parts on black.
    fit: training.fit ?? 'stretch',
    ...(state.config.data === undefined ? { background: 'black' as const } : {}),
    seed: training.seed,
    ...(training.testFraction !== undefined ? { testFraction: training.testFraction } : {}),
    // A run that skipped unreadable images skips them again; its record says which were used.
    skipBadImages: (state.dataset?.skipped ?? 0) > 0,
  };
}
