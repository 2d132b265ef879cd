/** Everything that defines a training run, saved in its checkpoint and config.json. */
import type { Binarize } from '../data/batches.js';
import { AUGMENT_KINDS, type AugmentKind } from '../data/augment.js';
import { IMAGE_FITS, type ImageFit } from '../data/image-fit.js';
import { DIGIT_CLASSES, FASHION_MNIST_CLASSES, namesAreDigits, subset, type DataDescription, type DataSplits, type ImageDataset } from '../data/dataset.js';
import { DEFAULT_VAE_CONFIG, type VaeConfig } from '../vae/config.js';
import { resolveObjective, validateObjective, type ObjectiveConfig, type ResolvedObjective } from '../vae/objectives.js';
import { resolveLrSchedule, validateLrSchedule, type LrScheduleConfig, type ResolvedLrSchedule } from './lr-schedule.js';

/**
 * The objective's settings (objective, k, beta, klWarmup) are optional: checkpoints written
 * before they existed trained the plain ELBO, which is what their absence means.
 */
export interface TrainingConfig extends ObjectiveConfig, LrScheduleConfig {
  /** Dataset spec: `mnist`, `fashion-mnist`, `idx:DIR` or `folder:DIR`. */
  dataset: string;
  /** Total epochs the run is meant to reach. */
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  binarize: Binarize;
  /** Train on only the first N training images (quick experiments); all when absent. */
  trainSize?: number;
  /** Evaluate on only the first N test images; all when absent. */
  testSize?: number;
  /** Share of a folder: or emoji dataset held out for testing; absent: 0.1. */
  testFraction?: number;
  /**
   * How folder: images of another shape than the model's were fitted. New folder runs write
   * it; absent means stretch, what runs from before it existed did.
   */
  fit?: ImageFit;
  /**
   * Optimizer steps the run is meant to reach, when its length is given in steps (--steps, or
   * the default for small collections); `epochs` then says how many epochs those steps touch,
   * the last maybe cut short. Absent: the run trains whole epochs.
   */
  steps?: number;
  /**
   * How the training images are augmented as they are served (src/data/augment.ts): shift
   * (and, for colour, mirror) or handwriting; absent = off. `true`, from runs before there
   * were kinds, means shift.
   */
  augment?: boolean | AugmentKind;
}

/**
 * A training config with every optional setting filled in with what its absence means in a
 * saved config (a checkpoint from before the setting existed). The saved form keeps the
 * absences, so its bytes do not change; code that trains reads this form and decides nothing.
 */
export type ResolvedTrainingConfig = TrainingConfig & ResolvedObjective & ResolvedLrSchedule;

export function resolveTrainingConfig(t: TrainingConfig): ResolvedTrainingConfig {
  return { ...t, ...resolveObjective(t), ...resolveLrSchedule(t) };
}

/** What the run's data are: their shape and names, so figures and pages can say them without loading the data. */
export interface RunDataConfig {
  channels: number;
  height: number;
  width: number;
  /** Class names in label order (label i is classNames[i]); [] without classes. */
  classNames: string[];
  noun: 'digit' | 'image';
}

export interface RunConfig {
  model: VaeConfig;
  training: TrainingConfig;
  /** The kernel provider the run computed with; training fills it in when it starts. */
  kernels: string;
  /** Absent in runs from before it was kept: see dataDescriptionOf. */
  data?: RunDataConfig;
}

/** The data part of a run config, from the loaded data. */
export function runDataConfig(ds: ImageDataset): RunDataConfig {
  return {
    channels: ds.channels,
    height: ds.height,
    width: ds.width,
    classNames: [...ds.description.classNames],
    noun: ds.description.noun,
  };
}

/**
 * The names of a run's data. Runs from before they were kept trained on grey images, and
 * MNIST-style sources (mnist, idx:) were digits 0..9 then; anything else gets no names.
 */
export function dataDescriptionOf(config: RunConfig): DataDescription {
  if (config.data !== undefined) return { classNames: [...config.data.classNames], noun: config.data.noun };
  const spec = config.training.dataset;
  if (spec === 'mnist' || spec.startsWith('idx:')) return { classNames: [...DIGIT_CLASSES], noun: 'digit' };
  if (spec === 'fashion-mnist') return { classNames: [...FASHION_MNIST_CLASSES], noun: 'image' };
  return { classNames: [], noun: 'image' };
}

/** Throws RangeError when a stored data config is malformed (it comes from disk). */
export function validateRunDataConfig(d: unknown): void {
  if (d === undefined) return;
  if (typeof d !== 'object' || d === null) throw new RangeError('data must be an object');
  const r = d as Record<string, unknown>;
  const positive = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (r.channels !== 1 && r.channels !== 3) throw new RangeError(`data channels must be 1 or 3, got ${String(r.channels)}`);
  if (!positive(r.height) || !positive(r.width)) throw new RangeError(`data size must be positive integers, got ${String(r.height)}x${String(r.width)}`);
  if (!Array.isArray(r.classNames) || !r.classNames.every((c) => typeof c === 'string') || r.classNames.length > 256) {
    throw new RangeError('data classNames must be a list of at most 256 strings');
  }
  if (r.noun !== 'digit' && r.noun !== 'image') throw new RangeError(`data noun must be digit or image, got ${String(r.noun)}`);
  if (r.noun === 'digit' && !namesAreDigits(r.classNames as string[])) throw new RangeError('data noun digit needs the classes 0..9');
}

/** The classic PyTorch example's settings: batch 128, Adam lr 1e-3, 10 epochs. */
export const DEFAULT_TRAINING_CONFIG: TrainingConfig = {
  dataset: 'mnist',
  epochs: 10,
  batchSize: 128,
  lr: 1e-3,
  seed: 1,
  binarize: 'none',
};

export function defaultRunConfig(): RunConfig {
  return { model: { ...DEFAULT_VAE_CONFIG, hidden: [...DEFAULT_VAE_CONFIG.hidden] }, training: { ...DEFAULT_TRAINING_CONFIG }, kernels: 'js' };
}

/** Throws RangeError naming the first training setting that is out of range. */
export function validateTrainingConfig(t: TrainingConfig): void {
  const int = (v: unknown, min: number): boolean => Number.isInteger(v) && (v as number) >= min;
  if (typeof t.dataset !== 'string' || t.dataset === '') throw new RangeError('dataset must be a non-empty string');
  if (!int(t.epochs, 1)) throw new RangeError(`epochs must be an integer >= 1, got ${t.epochs}`);
  if (!int(t.batchSize, 1)) throw new RangeError(`batch size must be an integer >= 1, got ${t.batchSize}`);
  if (typeof t.lr !== 'number' || !(t.lr > 0) || !Number.isFinite(t.lr)) throw new RangeError(`lr must be > 0, got ${t.lr}`);
  if (!int(t.seed, 0) || t.seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${t.seed}`);
  if (t.binarize !== 'none' && t.binarize !== 'dynamic') throw new RangeError(`binarize must be none or dynamic, got ${t.binarize}`);
  if (t.trainSize !== undefined && !int(t.trainSize, 1)) throw new RangeError(`train size must be an integer >= 1, got ${t.trainSize}`);
  if (t.testSize !== undefined && !int(t.testSize, 1)) throw new RangeError(`test size must be an integer >= 1, got ${t.testSize}`);
  if (t.testFraction !== undefined && !(typeof t.testFraction === 'number' && t.testFraction > 0 && t.testFraction < 1)) {
    throw new RangeError(`test fraction must be in (0, 1), got ${t.testFraction}`);
  }
  if (t.fit !== undefined && !IMAGE_FITS.includes(t.fit)) throw new RangeError(`fit must be one of ${IMAGE_FITS.join(', ')}, got ${String(t.fit)}`);
  if (t.steps !== undefined && !int(t.steps, 1)) throw new RangeError(`steps must be an integer >= 1, got ${t.steps}`);
  if (t.augment !== undefined && typeof t.augment !== 'boolean' && !AUGMENT_KINDS.includes(t.augment)) {
    throw new RangeError(`augment must be true, false, ${AUGMENT_KINDS.join(' or ')}, got ${String(t.augment)}`);
  }
  validateObjective(t);
  validateLrSchedule(t);
}

/** The data a run actually uses: its --train-size / --test-size applied, if any. */
export function runData(data: DataSplits, training: TrainingConfig): DataSplits {
  const { trainSize, testSize } = training;
  return {
    ...data,
    train: trainSize === undefined ? data.train : subset(data.train, trainSize),
    test: testSize === undefined ? data.test : subset(data.test, testSize),
  };
}
