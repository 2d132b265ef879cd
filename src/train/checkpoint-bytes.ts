/**
 * A checkpoint as bytes: the training state, and its encoding into one safetensors file.
 * Nothing here touches the file system, so the browser builds the same file the CLI writes
 * (training in a tab offers it as a download); reading and writing files is checkpoint.ts's.
 */
import type { NamedTensor } from '../io/safetensors.js';
import { encodeContainer, type ContainerKind } from '../io/container.js';
import { Random, type RandomState } from '../engine/random.js';
import { Adam } from '../nn/adam.js';
import { VAE } from '../vae/model.js';
import type { RunConfig } from './config.js';
import type { DatasetRecord } from '../data/dataset.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const CHECKPOINT_KIND: ContainerKind = { noun: 'checkpoint', format: 'vae-toolkit/checkpoint', versions: ['1'] };

/** A model with everything needed to go on training it. */
export interface TrainingState {
  config: RunConfig;
  model: VAE;
  optimizer: Adam;
  rng: Random;
  /** Epochs completed; the last of them may have stopped short at the run's --steps (see partial). */
  epoch: number;
  /** What an image-folder dataset held when the run began, checked on resume. */
  dataset?: DatasetRecord;
  /** Set when epoch `epoch` stopped short at the run's step count: where to take it up again. */
  partial?: PartialEpoch;
}

/**
 * An epoch cut short by --steps, kept so that training further continues it exactly as an
 * uninterrupted run would have: the same permutation (drawn again from the generator's state
 * at the epoch's start), from the next batch, with the epoch's sums so far.
 */
export interface PartialEpoch {
  /** Batches of the epoch done. */
  batches: number;
  /** The generator's state when the epoch began, before it drew the epoch's permutation. */
  rngAtStart: RandomState;
  recon: number;
  kl: number;
  seen: number;
  seconds: number;
}

/** Throws RangeError unless `p` is a PartialEpoch (it comes from disk). */
export function validatePartialEpoch(p: unknown): asserts p is PartialEpoch {
  const r = p as Record<string, unknown> | null;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  if (typeof r !== 'object' || r === null) throw new RangeError('not an object');
  if (!Number.isInteger(r.batches) || (r.batches as number) < 1) throw new RangeError(`batches must be an integer >= 1, got ${String(r.batches)}`);
  if (!Array.isArray(r.rngAtStart) || r.rngAtStart.length !== 4 || !r.rngAtStart.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
    throw new RangeError('rngAtStart must be four 32-bit words');
  }
  for (const key of ['recon', 'kl', 'seen', 'seconds']) if (!finite(r[key])) throw new RangeError(`${key} must be a finite number`);
}

/** A fresh run: weights initialized from the run's seed, epoch 0. */
export function createTrainingState(config: RunConfig): TrainingState {
  const rng = new Random(config.training.seed);
  const model = new VAE(config.model, rng);
  const optimizer = new Adam(model.parameters(), { lr: config.training.lr });
  return { config, model, optimizer, rng, epoch: 0 };
}

export function encodeCheckpoint(state: TrainingState): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  const { m, v, step } = state.optimizer.getState();
  state.model.parameters().forEach(([name, t], i) => {
    tensors[`model.${name}`] = { shape: [...t.shape], data: t.data };
    tensors[`adam.m.${name}`] = { shape: [...t.shape], data: m[i]! };
    tensors[`adam.v.${name}`] = { shape: [...t.shape], data: v[i]! };
  });
  // Sealed with a checksum, so a flipped bit on disk is found on load rather than trained on.
  return encodeContainer(
    CHECKPOINT_KIND,
    tensors,
    {
      config: JSON.stringify(state.config),
      epoch: String(state.epoch),
      adam_step: String(step),
      rng: JSON.stringify(state.rng.getState()),
      ...(state.dataset !== undefined ? { dataset: JSON.stringify(state.dataset) } : {}),
      ...(state.partial !== undefined ? { partial_epoch: JSON.stringify(state.partial) } : {}),
    },
    { checksum: true },
  );
}
