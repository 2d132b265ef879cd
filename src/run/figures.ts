/**
 * Every figure of the finished model and report.html, drawn when training is done. The
 * drawing itself lives above this layer (src/viz/run-figures.ts, as `vae report` draws); the
 * command hands it in, and this listener decides when and with what.
 */
import type { ImageDataset } from '../data/dataset.js';
import type { TrainingState } from '../train/checkpoint.js';
import type { RunConfig } from '../train/config.js';
import { readMetrics } from '../train/metrics-log.js';
import type { LatentSnapshots } from '../train/snapshots.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { VAE } from '../vae/model.js';
import type { RunListener } from './listener.js';

/** What the figures of a run are drawn from (the shape of viz/run-figures' inputs). */
export interface FigureInputs {
  model: VAE;
  config: RunConfig;
  epoch: number;
  step: number;
  test: ImageDataset;
  history: EpochMetrics[];
  snapshots: LatentSnapshots | null;
  seed: number;
}

export type DrawFigures = (dir: string, inputs: FigureInputs) => unknown;

export function figuresListener(dir: string, state: TrainingState, test: ImageDataset, snapshots: () => LatentSnapshots, draw: DrawFigures): RunListener {
  return {
    end(e) {
      if (e.outcome !== 'done') return;
      // seed 0: the draws `vae report` makes by default, so both give the same pictures.
      draw(dir, {
        model: state.model,
        config: state.config,
        epoch: state.epoch,
        step: state.optimizer.step,
        test,
        history: readMetrics(dir),
        snapshots: snapshots(),
        seed: 0,
      });
    },
  };
}
