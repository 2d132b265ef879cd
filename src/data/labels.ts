/** Whether a dataset's labels are ones a conditional model can be told. */
import { UserError } from '../errors.js';
import type { ImageDataset } from './dataset.js';

/**
 * Refuses `data` when one of its labels is not a class of a conditional model over `classes`
 * classes (0 for an ordinary model, which takes any labels): said once, when the data are
 * loaded for the model, rather than as a crash in the middle of the first batch that has it.
 * `who` starts the message (`vae eval`), unless empty.
 */
export function checkLabelsFit(who: string, classes: number, data: ImageDataset, split: 'training' | 'test'): void {
  if (classes === 0) return;
  const labels = data.labels.subarray(0, data.count);
  const i = labels.findIndex((label) => label >= classes);
  if (i < 0) return;
  throw new UserError(
    `${who === '' ? '' : `${who}: `}${data.name} ${split} image ${i} has label ${labels[i]}, which is not a class of this conditional model (its classes are 0 to ${classes - 1})`,
  );
}
