/**
 * Checkpoints: one safetensors file holding the model's weights, Adam's moments, and in its
 * metadata the run's config, the epoch reached, the optimizer step and the generator state:
 * all that `--resume` needs to continue as if never stopped. One file, written atomically,
 * so a checkpoint is always whole: the old one until the instant the new one replaces it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readContainer } from '../io/container.js';
import { readRegularFile } from '../io/bounded-read.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { Random, type RandomState } from '../engine/random.js';
import { Adam } from '../nn/adam.js';
import { modelFromTensors } from '../vae/from-tensors.js';
import { validateVaeConfig } from '../vae/config.js';
import { validateRunDataConfig, validateTrainingConfig, type RunConfig } from './config.js';
import type { DatasetRecord } from '../data/dataset.js';
import { isDatasetRecord } from '../data/fingerprint.js';
import { CHECKPOINT_FILE, CHECKPOINT_KIND as KIND, encodeCheckpoint, validatePartialEpoch, type PartialEpoch, type TrainingState } from './checkpoint-bytes.js';

// The encoder lives apart from the file system, so the browser can build checkpoints too.
export { CHECKPOINT_FILE, createTrainingState, encodeCheckpoint, type PartialEpoch, type TrainingState } from './checkpoint-bytes.js';

/** Writes `dir`/checkpoint.safetensors atomically, creating `dir` (and its parents) when missing. */
export function saveCheckpoint(dir: string, state: TrainingState): string {
  const path = join(dir, CHECKPOINT_FILE);
  ensureParentDir(path);
  writeFileAtomic(path, encodeCheckpoint(state));
  return path;
}

/** The checkpoint file for a run folder, or the path itself if it names a file. */
export function checkpointPath(dirOrFile: string): string {
  if (!existsSync(dirOrFile)) throw new UserError(`no such checkpoint or run folder: ${dirOrFile}`);
  if (statSync(dirOrFile).isFile()) return dirOrFile;
  const path = join(dirOrFile, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new UserError(`no checkpoint in ${dirOrFile} (expected ${path})`);
  return path;
}

export function loadCheckpoint(dirOrFile: string): TrainingState {
  const path = checkpointPath(dirOrFile);
  return decodeCheckpoint(readRegularFile(path, 'checkpoint'), path);
}

const NEEDS = 'the model config needs';

export function decodeCheckpoint(bytes: Uint8Array, source: string): TrainingState {
  const file = readContainer(bytes, source, KIND);
  const config = file.json('config') as RunConfig;
  try {
    if (typeof config !== 'object' || config === null) throw new RangeError('not an object');
    validateVaeConfig(config.model);
    validateTrainingConfig(config.training);
    validateRunDataConfig(config.data);
  } catch (err) {
    throw file.bad(`its config is invalid: ${(err as Error).message}`);
  }
  const epoch = file.uint('epoch');
  const step = file.uint('adam_step');
  let rng: Random;
  try {
    rng = Random.fromState(file.json('rng') as RandomState);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw file.bad(`bad generator state: ${(err as Error).message}`);
  }

  let dataset: DatasetRecord | undefined;
  if (Object.hasOwn(file.metadata, 'dataset')) {
    const record = file.json('dataset');
    if (!isDatasetRecord(record)) throw file.bad('metadata dataset is not a record of an image folder');
    dataset = record;
  }

  let partial: PartialEpoch | undefined;
  if (Object.hasOwn(file.metadata, 'partial_epoch')) {
    const p = file.json('partial_epoch');
    try {
      validatePartialEpoch(p);
    } catch (err) {
      throw file.bad(`metadata partial_epoch is invalid: ${(err as Error).message}`);
    }
    partial = p;
  }

  const model = modelFromTensors(config.model, (name, shape) => file.tensor(`model.${name}`, shape, NEEDS));
  const params = model.parameters();
  const m = params.map(([name, t]) => file.tensor(`adam.m.${name}`, t.shape, NEEDS));
  const v = params.map(([name, t]) => file.tensor(`adam.v.${name}`, t.shape, NEEDS));
  file.noOthers(' for this model config');
  const optimizer = new Adam(params, { lr: config.training.lr });
  optimizer.setState({ step, m, v });
  return { config, model, optimizer, rng, epoch, ...(dataset !== undefined ? { dataset } : {}), ...(partial !== undefined ? { partial } : {}) };
}
