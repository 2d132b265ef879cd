/** Data for looking at a trained model, shared by the commands that read a checkpoint. */
import { UserError } from '../errors.js';
import { loadDataset } from '../data/source.js';
import { pixelsPerImage, type DataSplits } from '../data/dataset.js';
import { runData } from '../train/config.js';
import type { TrainingState } from '../train/checkpoint.js';
import { datasetOptionsForModel } from '../train/run-data.js';

/**
 * The run's own data, with its --train-size / --test-size applied so numbers match what
 * training logged; or another dataset, used whole. Either must have the model's image size.
 */
export function datasetForRun(command: string, state: TrainingState, other?: string): DataSplits {
  const options = datasetOptionsForModel(state);
  const data =
    other === undefined ? runData(loadDataset(state.config.training.dataset, options), state.config.training) : loadDataset(other, options);
  const dim = pixelsPerImage(data.test);
  if (dim !== state.model.config.inputDim) {
    throw new UserError(`${command}: the dataset has ${dim} pixels per image, the model expects ${state.model.config.inputDim}`);
  }
  return data;
}
