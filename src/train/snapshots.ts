/**
 * Latent snapshots: where a fixed set of test images sit in latent space at regular points of
 * training, for the figures that show the posterior moving toward N(0, I). Each snapshot holds
 * the posterior means and log-variances of the first 1000 test images (a few hundred KB per
 * run at latent 2), taken before the first step, at 1/8, 1/4, 1/2 and 3/4 of the first epoch
 * (early training moves fastest), and at the end of every epoch. A long run (a small folder
 * trained for hundreds of epochs) would make hundreds of them, and an animation and report as
 * large; so a run takes at most MAX_SNAPSHOTS, spread evenly over its planned length, always
 * the first and the last.
 *
 * The file is rewritten atomically at the end of every epoch, before the checkpoint. On
 * resume the snapshots past the checkpoint's optimizer step are dropped, as metrics.jsonl is
 * cut back, so a resumed run ends with the same file as one that never stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, noGrad } from '../engine/tensor.js';
import { numBatches } from '../data/batches.js';
import { datasetFloats, valuesPerImage, subset, type DataSplits, type ImageDataset } from '../data/dataset.js';
import type { NamedTensor } from '../io/safetensors.js';
import { encodeContainer, readContainer, type ContainerKind } from '../io/container.js';
import { readRegularFile } from '../io/bounded-read.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { VAE } from '../vae/model.js';
import type { TrainingState } from './checkpoint.js';
import type { RunConfig } from './config.js';

export const SNAPSHOTS_FILE = 'latent_snapshots.safetensors';
/** Test images encoded at each snapshot. */
export const SNAPSHOT_IMAGES = 1000;
/** Snapshots of one run at most. */
export const MAX_SNAPSHOTS = 40;
const KIND: ContainerKind = { noun: 'latent snapshots', format: 'vae-toolkit/latent-snapshots', versions: ['1'] };

export interface LatentSnapshot {
  /** Optimizer steps taken when the snapshot was taken (0: before training). */
  step: number;
  /** [count, latent] posterior means. */
  mu: Float32Array;
  /** [count, latent] posterior log-variances. */
  logvar: Float32Array;
}

export interface LatentSnapshots {
  latent: number;
  /** Test images per snapshot (the first `count` of the run's test set). */
  count: number;
  labels: Uint8Array;
  batchesPerEpoch: number;
  snapshots: LatentSnapshot[];
}

/** Whether a snapshot is due once `step` optimizer steps are done. */
export function isSnapshotStep(step: number, batchesPerEpoch: number): boolean {
  if (step === 0 || step % batchesPerEpoch === 0) return true;
  if (step > batchesPerEpoch) return false;
  return [1 / 8, 1 / 4, 1 / 2, 3 / 4].some((f) => Math.round(f * batchesPerEpoch) === step);
}

/** The optimizer steps a run is planned to take: its --steps, or its epochs' batches. */
export function plannedSteps(config: RunConfig, batchesPerEpoch: number): number {
  return config.training.steps ?? config.training.epochs * batchesPerEpoch;
}

/**
 * The steps at which a run of `totalSteps` takes its snapshots, in order: the uncapped schedule
 * (isSnapshotStep, and the last step) when it has at most `max`, else the steps of that
 * schedule nearest to `max` evenly spaced points from the first step to the last, so a
 * 300-epoch run gives 40 snapshots at epoch ends about 7.7 epochs apart.
 */
export function snapshotSchedule(totalSteps: number, batchesPerEpoch: number, max = MAX_SNAPSHOTS): number[] {
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 0) throw new RangeError(`snapshotSchedule: bad step count ${totalSteps}`);
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`snapshotSchedule: max must be at least 2, got ${max}`);
  const every: number[] = [];
  for (let step = 0; step <= totalSteps; step++) if (isSnapshotStep(step, batchesPerEpoch) || step === totalSteps) every.push(step);
  if (every.length <= max) return every;
  const picked = new Set<number>();
  let j = 0;
  for (let k = 0; k < max; k++) {
    const target = (k * totalSteps) / (max - 1);
    // `every` is sorted and the targets increase, so the nearest candidate only moves forward.
    while (j + 1 < every.length && Math.abs(every[j + 1]! - target) < Math.abs(every[j]! - target)) j++;
    picked.add(every[j]!);
  }
  return [...picked];
}

/** Training progress of a snapshot in epochs (fractional within the first). */
export function snapshotEpoch(s: LatentSnapshot, batchesPerEpoch: number): number {
  return s.step / batchesPerEpoch;
}

/** The snapshot subset's posterior, without recording gradients; a conditional model sees each image's label. */
export function encodeSubset(model: VAE, images: ImageDataset): { mu: Float32Array; logvar: Float32Array } {
  return noGrad(() => {
    const x = new Tensor(datasetFloats(images), [images.count, valuesPerImage(images)]);
    const { mu, logvar } = model.encode(x, model.classes > 0 ? images.labels : undefined);
    return { mu: Float32Array.from(mu.data), logvar: Float32Array.from(logvar.data) };
  });
}

/** Records snapshots during a run and keeps the run folder's file up to date. */
export class SnapshotRecorder {
  /** Set when an existing file could not be continued and was started afresh. */
  warning: string | undefined;

  /** The steps this run takes its snapshots at. */
  private readonly due: Set<number>;

  private constructor(
    private readonly dir: string,
    private readonly state: TrainingState,
    private readonly images: ImageDataset,
    readonly record: LatentSnapshots,
  ) {
    this.due = new Set(snapshotSchedule(plannedSteps(state.config, record.batchesPerEpoch), record.batchesPerEpoch));
  }

  /**
   * For a fresh run, takes the snapshot before the first step. For a resumed run, continues
   * the folder's file, cut back to the checkpoint's step.
   */
  static open(dir: string, state: TrainingState, data: DataSplits): SnapshotRecorder {
    const images = subset(data.test, SNAPSHOT_IMAGES);
    const fresh: LatentSnapshots = {
      latent: state.model.config.latent,
      count: images.count,
      labels: Uint8Array.from(images.labels),
      batchesPerEpoch: numBatches(data.train.count, state.config.training.batchSize),
      snapshots: [],
    };
    const recorder = new SnapshotRecorder(dir, state, images, fresh);
    const step = state.optimizer.step;
    if (step === 0) {
      recorder.take();
      return recorder;
    }
    let previous: LatentSnapshots | null = null;
    try {
      previous = readSnapshots(dir);
    } catch (err) {
      recorder.warning = `${(err as Error).message}; recording latent snapshots afresh`;
    }
    if (previous !== null) {
      if (previous.latent !== fresh.latent || previous.count !== fresh.count || previous.batchesPerEpoch !== fresh.batchesPerEpoch) {
        recorder.warning = `${join(dir, SNAPSHOTS_FILE)} does not match this run; recording latent snapshots afresh`;
      } else {
        fresh.snapshots = previous.snapshots.filter((s) => s.step <= step);
      }
    }
    return recorder;
  }

  /** Call after every optimizer step; encodes the subset when a snapshot is due. */
  onStep(step: number): void {
    if (this.due.has(step)) this.take();
  }

  /** Writes the file (atomically). Call at the end of each epoch, before the checkpoint. */
  save(): void {
    writeFileAtomic(join(this.dir, SNAPSHOTS_FILE), encodeSnapshots(this.record));
  }

  private take(): void {
    const step = this.state.optimizer.step;
    const last = this.record.snapshots[this.record.snapshots.length - 1];
    if (last !== undefined && last.step >= step) return;
    this.record.snapshots.push({ step, ...encodeSubset(this.state.model, this.images) });
  }
}

export function encodeSnapshots(r: LatentSnapshots): Uint8Array {
  const n = r.snapshots.length;
  const per = r.count * r.latent;
  const mu = new Float32Array(n * per);
  const logvar = new Float32Array(n * per);
  r.snapshots.forEach((s, i) => {
    mu.set(s.mu, i * per);
    logvar.set(s.logvar, i * per);
  });
  const tensors: Record<string, NamedTensor> = {
    mu: { shape: [n, r.count, r.latent], data: mu },
    logvar: { shape: [n, r.count, r.latent], data: logvar },
    labels: { shape: [r.count], data: Float32Array.from(r.labels) },
  };
  return encodeContainer(KIND, tensors, {
    steps: JSON.stringify(r.snapshots.map((s) => s.step)),
    batches_per_epoch: String(r.batchesPerEpoch),
  });
}

export function decodeSnapshots(bytes: Uint8Array, source: string): LatentSnapshots {
  const file = readContainer(bytes, source, KIND);
  const muShape = file.shapeOf('mu');
  if (muShape.length !== 3) throw file.bad(`tensor mu has shape [${muShape.join(', ')}], expected [snapshots, images, latent]`);
  const [n, count, latent] = muShape as [number, number, number];
  if (count < 1 || latent < 1) throw file.bad('no images or no latent dimensions');
  const mu = file.tensor('mu');
  const logvar = file.tensor('logvar', muShape);
  const labels = file.tensor('labels', [count]);
  file.noOthers();
  const steps = file.json('steps');
  if (!Array.isArray(steps) || steps.length !== n || !steps.every((s, i) => Number.isSafeInteger(s) && s >= 0 && (i === 0 || s > steps[i - 1]))) {
    throw file.bad('metadata steps must be increasing step counts, one per snapshot');
  }
  const batchesPerEpoch = file.uint('batches_per_epoch', 1);
  const per = count * latent;
  return {
    latent,
    count,
    labels: Uint8Array.from(labels),
    batchesPerEpoch,
    snapshots: (steps as number[]).map((step, i) => ({
      step,
      mu: mu.slice(i * per, (i + 1) * per),
      logvar: logvar.slice(i * per, (i + 1) * per),
    })),
  };
}

/** The run folder's snapshots, or null when it has none. */
export function readSnapshots(dir: string): LatentSnapshots | null {
  const path = join(dir, SNAPSHOTS_FILE);
  if (!existsSync(path)) return null;
  return decodeSnapshots(readRegularFile(path, 'latent snapshots'), path);
}
