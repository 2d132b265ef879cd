/** Latent snapshots (src/train/snapshots.ts): taken at the steps they are due, saved before each checkpoint. */
import type { DataSplits } from '../data/dataset.js';
import type { TrainingState } from '../train/checkpoint.js';
import { SnapshotRecorder } from '../train/snapshots.js';
import type { RunListener } from './listener.js';

export interface SnapshotsListener extends RunListener {
  recorder: SnapshotRecorder;
}

/** Opens the folder's snapshots (taking the first one of a fresh run); `warn` hears why an old file was not continued. */
export function snapshotsListener(dir: string, state: TrainingState, data: DataSplits, warn: (line: string) => void): SnapshotsListener {
  const recorder = SnapshotRecorder.open(dir, state, data);
  if (recorder.warning !== undefined) warn(recorder.warning);
  return {
    recorder,
    step: (s) => recorder.onStep(s.step),
    epoch: () => recorder.save(),
  };
}
