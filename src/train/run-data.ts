/** How a trained model's data are found again. */
import type { DatasetOptions } from '../data/source.js';
import type { TrainingState } from './checkpoint.js';

/** How to reload a run's data so it matches the model: folder images at the model's size, split by the run's seed. */
export function datasetOptionsForModel(state: TrainingState): DatasetOptions {
  // A run that skipped unreadable images skips them again; its record says which were used.
  const { seed, trainSize, testSize } = state.config.training;
  // A generated dataset renders only the images the run uses.
  return { imageSize: state.model.config.imageHeight, seed, skipBadImages: (state.dataset?.skipped ?? 0) > 0, trainSize, testSize };
}
