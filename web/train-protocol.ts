/** Messages between the training page and its worker. */
import type { EpochMetrics } from '../src/train/trainer.js';

/** What the page asks for: the model and the run, as `vae train` flags would say them. */
export interface TrainSettings {
  hidden: number[];
  latent: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Use only the first N images of each split (all when absent). */
  trainSize?: number;
  testSize?: number;
  /** Refresh the latent plane during training (off for timing runs). */
  plane: boolean;
}

/** Grey images as bytes, one split. */
export interface ImageBytes {
  count: number;
  height: number;
  width: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

export interface StartMessage {
  type: 'start';
  settings: TrainSettings;
  /** The dataset spec written into the checkpoint: `mnist`, or a name for dropped images. */
  dataset: string;
  /** True when the data are MNIST's digits, whose labels are classes. */
  digits: boolean;
  train: ImageBytes;
  test: ImageBytes;
}

export type ToWorker = StartMessage | { type: 'stop' };

export type FromWorker =
  | { type: 'started'; kernels: string; model: string; trainCount: number; testCount: number; batchesPerEpoch: number; parameters: number; planeSplit: 'test' | 'training'; planePoints: number; isolated: boolean }
  /**
   * The progress at the latest step, and the loss of every step since the previous message,
   * as [step, loss] pairs: a few messages a second, whatever the steps' rate, so the page's
   * drawing does not take the cores the training runs on.
   */
  | { type: 'step'; epoch: number; batch: number; batchesPerEpoch: number; step: number; runningLoss: number; samplesPerSec: number; elapsed: number; losses: [number, number][] }
  | { type: 'plane'; step: number; xy: Float32Array; labels: Uint8Array }
  | { type: 'epoch'; metrics: EpochMetrics; checkpoint: Uint8Array }
  | { type: 'end'; status: 'done' | 'stopped' | 'failed'; message: string; epoch: number };
