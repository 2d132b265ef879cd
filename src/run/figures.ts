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

/** What the figures of a run are drawn from (viz/run-figures draws them; `vae report` too). */
export interface FigureInputs {
  model: VAE;
  config: RunConfig;
  /** Epochs completed by the checkpoint the model comes from. */
  epoch: number;
  /** Optimizer steps of that checkpoint: later snapshots (from a killed run) are ignored. */
  step: number;
  /** The run's test set. */
  test: ImageDataset;
  /** metrics.jsonl; lines after `epoch` are ignored. */
  history: EpochMetrics[];
  /** The run's latent snapshots, or null if it has none. */
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
