/**
 * The training loop. It only orchestrates: batches from the data, the loss from the model,
 * gradients from the tape, the update from the optimizer. What happens at the end of an
 * epoch (checkpoints, logs, progress) is the caller's, through callbacks.
 */
import { Tensor, kernelsInUse } from '../engine/tensor.js';
import { batches, numBatches } from '../data/batches.js';
import { valuesPerImage, type DataSplits } from '../data/dataset.js';
import { UserError } from '../errors.js';
import type { TrainingState } from './checkpoint-bytes.js';
import { evaluate } from './evaluate.js';
import { objectiveLoss } from '../vae/objectives.js';
import { isContinuous, isDiscretized } from '../vae/config.js';
import { bitsPerDim } from '../vae/likelihood.js';
import { learningRateAt } from './lr-schedule.js';
import { resolveTrainingConfig } from './config.js';

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
  /** Seconds since the epoch began. */
  elapsed: number;
}

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
  const target = options.epochs ?? training.epochs;
  const dim = valuesPerImage(data.train);
  if (dim !== model.config.inputDim) {
    throw new UserError(`the data has ${dim} pixels per image, the model expects ${model.config.inputDim}`);
  }
  const perEpoch = numBatches(data.train.count, batchSize);
  // The schedule spans the run's planned epochs, not just those of this call.
  const totalSteps = perEpoch * training.epochs;
  const dequantize = isContinuous(model.config.likelihood);
  const history: EpochMetrics[] = [];

  while (state.epoch < target) {
    const epoch = state.epoch + 1;
    const start = performance.now();
    let recon = 0;
    let kl = 0;
    let seen = 0;
    for (const batch of batches(data.train, batchSize, { shuffle: rng, binarize, dequantize })) {
      if (options.signal?.aborted) throw new TrainingInterrupted(state.epoch);
      const x = new Tensor(batch.x, [batch.size, dim]);
      const terms = objectiveLoss(model, x, batch.labels, rng, training, optimizer.step + 1);
      const loss = terms.loss.item();
      if (!Number.isFinite(loss)) {
        throw new DivergedError(
          `the loss became ${loss} at epoch ${epoch}, batch ${batch.index + 1}; stopped (try a smaller --lr)`,
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
      });
      // Lets signals, timers and servers run between steps; costs microseconds.
      await yieldToEventLoop();
    }
    const seconds = (performance.now() - start) / 1000;
    assertFinite(state, epoch);
    const ev = evaluate(model, data.test, { binarize });
    if (!Number.isFinite(ev.nelbo)) {
      throw new DivergedError(`the test loss became ${ev.nelbo} after epoch ${epoch}; stopped (try a smaller --lr)`);
    }
    state.epoch = epoch;
    const metrics: EpochMetrics = {
      epoch,
      step: optimizer.step,
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
  }
  return history;
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
