/** The checkpoint, rewritten atomically after every epoch: the last of the epoch's writes, so a resume finds the others in step. */
import { saveCheckpoint } from '../train/checkpoint.js';
import type { RunListener } from './listener.js';

export function checkpointListener(dir: string): RunListener {
  return { epoch: (_m, state) => void saveCheckpoint(dir, state) };
}
