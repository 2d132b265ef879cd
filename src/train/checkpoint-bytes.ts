/**
 * A checkpoint as bytes: the training state, and its encoding into one safetensors file.
 * Nothing here touches the file system, so the browser builds the same file the CLI writes
 * (training in a tab offers it as a download); reading and writing files is checkpoint.ts's.
 */
import type { NamedTensor } from '../io/safetensors.js';
import { encodeContainer, type ContainerKind } from '../io/container.js';
import { Random } from '../engine/random.js';
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
  /** Epochs completed. */
  epoch: number;
  /** What an image-folder dataset held when the run began, checked on resume. */
  dataset?: DatasetRecord;
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
    },
    { checksum: true },
  );
}
