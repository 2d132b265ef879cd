/** Fashion-MNIST (Xiao et al. 2017) as Debian's dataset-fashion-mnist package installs it. */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { FASHION_MNIST_CLASSES, type DataSplits } from './dataset.js';
import { loadIdxFolder } from './mnist.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export { FASHION_MNIST_CLASSES };

export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): DataSplits {
  if (!existsSync(dir)) {
    throw new UserError(
      `Fashion-MNIST is not installed (no ${dir}): install the Debian package dataset-fashion-mnist ` +
        '(apt-get install dataset-fashion-mnist), or pass --dataset idx:DIR with its four IDX files',
    );
  }
  return loadIdxFolder(dir, 'fashion-mnist', { classNames: [...FASHION_MNIST_CLASSES], noun: 'image' });
}
