/**
 * The training loop. It only orchestrates: batches from the data, the loss from the model,
 * gradients from the tape, the update from the optimizer. What happens at the end of an
 * epoch (checkpoints, logs, progress) is the caller's, through callbacks.
 */
import { Tensor, kernelsInUse, trainingStep } from '../engine/tensor.js';
import { batches, numBatches } from '../data/batches.js';
import { valuesPerImage, type DataSplits } from '../data/dataset.js';
import { UserError } from '../errors.js';
import type { TrainingState } from './checkpoint-bytes.js';
import { evaluate } from './evaluate.js';
import { objectiveLoss } from '../vae/objectives.js';
import { isContinuous, isDiscretized } from '../vae/config.js';
import { bitsPerDim } from '../vae/likelihood.js';
import { learningRateAt } from './lr-schedule.js';
import { dataDescriptionOf, resolveTrainingConfig } from './config.js';
import { Random } from '../engine/random.js';
import { augmentBatch, augmentationFor, augmentKindOf } from '../data/augment.js';
import type { ImageDataset } from '../data/dataset.js';

export interface StepInfo {
  epoch: number;
  /** Batch index within the epoch, from 0. */
  batch: number;
  batchesPerEpoch: number;
  /** Optimizer steps taken since the run began. */
  step: number;
  /** This batch's mean negative ELBO (nats per example). */
  loss: number;
  /** Mean of the loss over the epoch so far, weighted by batch size. */
  runningLoss: number;
  samplesDone: number;
  /** Seconds since the epoch (or report period) began. */
  elapsed: number;
  /**
   * Where the step is within its report period, for a run in steps that reports every few
   * epochs: batch (from 0) of batches, the period beginning at epoch firstEpoch.
   */
  period?: { batch: number; batches: number; firstEpoch: number };
}

/** A run in steps reports (evaluation, metrics line, checkpoint) at most this many times, plus at its end. */
export const MAX_REPORTS = 40;

/** One line of metrics.jsonl. Losses in nats per example. */
export interface EpochMetrics {
  epoch: number;
  step: number;
  train_nelbo: number;
  train_recon: number;
  train_kl: number;
  test_nelbo: number;
  test_recon: number;
  test_kl: number;
  /** Batches of an epoch cut short at the run's --steps (absent for a whole epoch), and how many a whole one has. */
  batches?: number;
  batches_per_epoch?: number;
  /** The test NELBO in bits per dimension, for a likelihood over the 8-bit values (the discretized logistic); the literature's unit. */
  test_bits_per_dim?: number;
  /** The learning rate of the epoch's last step (it changes within an epoch under a schedule); absent in logs written before schedules existed. */
  lr?: number;
  /** Wall time of the epoch's training pass, evaluation excluded. */
  seconds: number;
  samples_per_sec: number;
}

export interface TrainOptions {
  /** Train until this many epochs are complete (default: the config's). */
  epochs?: number;
  /** Called after every optimizer step. */
  onStep?: (info: StepInfo) => void;
  /** Called after each epoch's evaluation, with the state as of that epoch; may be async. */
  onEpoch?: (metrics: EpochMetrics, state: TrainingState) => void | Promise<void>;
  /** Stops training between two steps; the epoch in progress is abandoned. */
  signal?: AbortSignal;
}

/** Training stopped because the loss left the real numbers; the last checkpoint is intact. */
export class DivergedError extends UserError {}

/** Thrown when `signal` stops training; `epoch` is the last completed epoch. */
export class TrainingInterrupted extends Error {
  constructor(readonly epoch: number) {
    super(`training interrupted after epoch ${epoch}`);
  }
}

const yieldToEventLoop = eventLoopYield();

/**
 * A macrotask turn: Node's setImmediate; in a browser's worker (training in a tab), a message
 * to itself, since nested zero-delay timers are clamped to 4 ms there, a second per epoch.
 */
function eventLoopYield(): () => Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate !== undefined) return () => new Promise((resolve) => immediate(resolve));
  // Typed by hand: the DOM's channel, which Node's types (an EventEmitter port) do not describe.
  const Channel = (globalThis as unknown as { MessageChannel: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(m: null): void } } }).MessageChannel;
  const channel = new Channel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
}

export async function train(state: TrainingState, data: DataSplits, options: TrainOptions = {}): Promise<EpochMetrics[]> {
  const { model, optimizer, rng } = state;
  // The run records what it computes on, whoever chose it (the CLI's --kernels, the library's auto, a page).
  state.config.kernels = kernelsInUse();
  const training = resolveTrainingConfig(state.config.training);
  const { batchSize, binarize } = training;
  const dim = valuesPerImage(data.train);
  if (dim !== model.config.inputDim) {
    throw new UserError(`the data has ${dim} pixels per image, the model expects ${model.config.inputDim}`);
  }
  const perEpoch = numBatches(data.train.count, batchSize);
  // A run measured in steps ends at its step count, mid-epoch if need be; else at its epochs.
  const stepTarget = options.epochs === undefined ? training.steps : undefined;
  const target = options.epochs ?? (stepTarget !== undefined ? Math.ceil(stepTarget / perEpoch) : training.epochs);
  // Epochs done (the last maybe cut short) and the cut-short one to take up; the state keeps
  // what was last reported (and checkpointed) until the next report.
  let current = state.epoch;
  let partial = state.partial;
  const done = (): boolean => (stepTarget !== undefined ? optimizer.step >= stepTarget : current >= target && partial === undefined);
  // A run in steps on a small collection has hundreds of short epochs: it reports (evaluates,
  // and the caller logs and checkpoints) every few epochs, at most MAX_REPORTS times.
  const reportEvery = stepTarget !== undefined ? Math.max(1, Math.ceil(target / MAX_REPORTS)) : 1;
  const lastStep = stepTarget ?? Infinity;
  // The schedule spans the run's planned steps, not just those of this call.
  const totalSteps = stepTarget ?? perEpoch * training.epochs;
  const dequantize = isContinuous(model.config.likelihood);
  const augmentKind = augmentKindOf(training.augment);
  const augment = augmentKind !== null ? augmentationFor(model.config, dataDescriptionOf(state.config), augmentKind) : null;
  const history: EpochMetrics[] = [];

  // The sums of the report period so far (an epoch cut short carries its own).
  let start = performance.now() - (partial?.seconds ?? 0) * 1000;
  let recon = partial?.recon ?? 0;
  let kl = partial?.kl ?? 0;
  let seen = partial?.seen ?? 0;
  while (!done()) {
    // An epoch cut short at an earlier step count is taken up where it stopped.
    const resumed = partial;
    const epoch = resumed !== undefined ? current : current + 1;
    const periodFirst = Math.floor((epoch - 1) / reportEvery) * reportEvery + 1;
    const periodSteps = Math.min(Math.min(periodFirst + reportEvery - 1, target) * perEpoch, lastStep) - (periodFirst - 1) * perEpoch;
    const rngAtStart = resumed?.rngAtStart ?? rng.getState();
    const skip = resumed?.batches ?? 0;
    const source = resumed !== undefined ? restOfEpoch(data.train, Random.fromState(rngAtStart).permutation(data.train.count), skip * batchSize) : data.train;
    const order = resumed !== undefined ? { shuffle: null, rng } : { shuffle: rng };
    let batchesDone = skip;
    for (const served of batches(source, batchSize, { ...order, binarize, dequantize })) {
      if (options.signal?.aborted) throw new TrainingInterrupted(state.epoch);
      const batch = { ...served, index: served.index + skip };
      if (augment !== null) augmentBatch(batch.x, batch.size, augment, rng);
      const x = new Tensor(batch.x, [batch.size, dim]);
      // The step's arrays are reused by the next one: only numbers leave it.
      const loss = trainingStep(() => {
        const terms = objectiveLoss(model, x, batch.labels, rng, training, optimizer.step + 1, data.train.count);
        const value = terms.loss.item();
        if (!Number.isFinite(value)) {
          throw new DivergedError(
            `the loss became ${value} at epoch ${epoch}, batch ${batch.index + 1}; stopped (try a smaller --lr)`,
          );
        }
        optimizer.zeroGrad();
        terms.loss.backward();
        optimizer.lr = learningRateAt(training, optimizer.step + 1, totalSteps);
        optimizer.update();
        for (let i = 0; i < batch.size; i++) {
          recon += terms.recon[i]!;
          kl += terms.kl[i]!;
        }
        return value;
      });
      seen += batch.size;
      options.onStep?.({
        epoch,
        batch: batch.index,
        batchesPerEpoch: perEpoch,
        step: optimizer.step,
        loss,
        runningLoss: (recon + kl) / seen,
        samplesDone: seen,
        elapsed: (performance.now() - start) / 1000,
        ...(reportEvery > 1 || stepTarget !== undefined
          ? { period: { batch: optimizer.step - (periodFirst - 1) * perEpoch - 1, batches: periodSteps, firstEpoch: periodFirst } }
          : {}),
      });
      batchesDone = batch.index + 1;
      // Lets signals, timers and servers run between steps; costs microseconds.
      await yieldToEventLoop();
      if (optimizer.step >= lastStep) break;
    }
    const short = batchesDone < perEpoch;
    current = epoch;
    partial = undefined;
    if (!short && epoch % reportEvery !== 0 && !done()) continue;
    const seconds = (performance.now() - start) / 1000;
    assertFinite(state, epoch);
    const ev = evaluate(model, data.test, { binarize });
    if (!Number.isFinite(ev.nelbo)) {
      throw new DivergedError(`the test loss became ${ev.nelbo} after epoch ${epoch}; stopped (try a smaller --lr)`);
    }
    state.epoch = epoch;
    if (short) partial = state.partial = { batches: batchesDone, rngAtStart, recon, kl, seen, seconds };
    else delete state.partial;
    const metrics: EpochMetrics = {
      epoch,
      step: optimizer.step,
      ...(short ? { batches: batchesDone, batches_per_epoch: perEpoch } : {}),
      train_nelbo: (recon + kl) / seen,
      train_recon: recon / seen,
      train_kl: kl / seen,
      test_nelbo: ev.nelbo,
      test_recon: ev.recon,
      test_kl: ev.kl,
      ...(isDiscretized(model.config.likelihood) ? { test_bits_per_dim: bitsPerDim(ev.nelbo, model.config.inputDim, false) } : {}),
      lr: optimizer.lr,
      seconds,
      samples_per_sec: seen / seconds,
    };
    history.push(metrics);
    await options.onEpoch?.(metrics, state);
    start = performance.now();
    recon = 0;
    kl = 0;
    seen = 0;
  }
  return history;
}

/** The images of `ds` from position `from` of `order` on, in that order: what is left of an epoch. */
function restOfEpoch(ds: ImageDataset, order: Uint32Array, from: number): ImageDataset {
  const values = valuesPerImage(ds);
  const rest = order.subarray(from);
  const pixels = new Uint8Array(rest.length * values);
  const labels = new Uint8Array(rest.length);
  rest.forEach((i, r) => {
    pixels.set(ds.pixels.subarray(i * values, (i + 1) * values), r * values);
    labels[r] = ds.labels[i]!;
  });
  return { ...ds, pixels, labels, count: rest.length };
}

/** A step can leave non-finite weights even when its loss was finite; never save those. */
function assertFinite(state: TrainingState, epoch: number): void {
  for (const [name, t] of state.model.parameters()) {
    for (let i = 0; i < t.size; i++) {
      if (!Number.isFinite(t.data[i]!)) {
        throw new DivergedError(`parameter ${name} became non-finite during epoch ${epoch}; stopped (try a smaller --lr)`);
      }
    }
  }
}
