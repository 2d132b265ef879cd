/** Data for looking at a trained model, shared by the commands that read a checkpoint. */
import { UserError } from '../errors.js';
import { loadDataset } from '../data/source.js';
import { valuesPerImage, type DataSplits } from '../data/dataset.js';
import { checkLabelsFit } from '../data/labels.js';
import { checkDatasetUnchanged } from '../data/fingerprint.js';
import { runData } from '../train/config.js';
import type { TrainingState } from '../train/checkpoint.js';
import { datasetOptionsForModel } from '../train/run-data.js';

/**
 * The run's own data, with its --train-size / --test-size applied so numbers match what
 * training logged; or another dataset, used whole. `testSize`, when given, takes the first N
 * test images instead. Either must have the model's image size, and test labels that are
 * classes of a conditional model.
 */
export function datasetForRun(command: string, state: TrainingState, other?: string, testSize?: number): DataSplits {
  const options = datasetOptionsForModel(state);
  // A test size given here replaces the run's own, so it can also ask for more than training used.
  const training = testSize === undefined ? state.config.training : { ...state.config.training, testSize };
  let data: DataSplits;
  if (other === undefined) {
    const loaded = loadDataset(training.dataset, options);
    // The run's numbers are about the images it was trained and tested on; a folder that changed splits differently.
    checkDatasetUnchanged(state.dataset, loaded.record, training.dataset, `${command} would look at other images than the run's. Restore the folder, or train a new run on it`);
    data = runData(loaded, training);
  } else {
    data = runData(loadDataset(other, options), { ...training, trainSize: undefined, testSize });
  }
  const dim = valuesPerImage(data.test);
  if (dim !== state.model.config.inputDim) {
    throw new UserError(`${command}: the dataset has ${dim} pixels per image, the model expects ${state.model.config.inputDim}`);
  }
  checkLabelsFit(command, state.model.classes, data.test, 'test');
  return data;
}
