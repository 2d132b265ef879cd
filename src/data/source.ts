/** Turns a dataset spec from the command line into loaded data. */
import { UserError } from '../errors.js';
import type { DataSplits } from './dataset.js';
import { loadIdxFolder, loadMnist } from './mnist.js';

export const describeDatasetSpecs =
  'mnist (the MNIST digits bundled with the toolkit) or idx:DIR (a folder with the four ' +
  'MNIST-style IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
  't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz, e.g. Fashion-MNIST)';

export function loadDataset(spec: string): DataSplits {
  if (spec === 'mnist') return loadMnist();
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (dir === '') throw new UserError('dataset spec "idx:" needs a folder, e.g. idx:./fashion');
    return loadIdxFolder(dir);
  }
  throw new UserError(`unknown dataset "${spec}" (expected mnist or idx:DIR)`);
}
