/**
 * What a run tells the parts that follow it. The trainer calls back after every step and
 * every epoch; the run passes each call to its listeners in order, each a small module that
 * does one thing: the progress display, the live feed, the latent snapshots, the metrics log,
 * the checkpoint, the figures.
 */
import type { TrainingState } from '../train/checkpoint.js';
import type { EpochMetrics, StepInfo } from '../train/trainer.js';

export type RunOutcome = 'done' | 'stopped' | 'failed';

export interface RunEnd {
  outcome: RunOutcome;
  /** One sentence for the user: how it ended and what was kept. */
  message: string;
  /** The epochs this session trained. */
  history: EpochMetrics[];
}

export interface RunListener {
  /** After every optimizer step. */
  step?(info: StepInfo): void;
  /**
   * After every epoch's evaluation. The order of the listeners is the order of the writes,
   * which is what makes a killed run resumable: metrics line, snapshots, then checkpoint.
   */
  epoch?(metrics: EpochMetrics, state: TrainingState): void;
  /** Once, however training ended. */
  end?(end: RunEnd): void | Promise<void>;
}
