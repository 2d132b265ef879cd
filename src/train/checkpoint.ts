/**
 * Checkpoints: one safetensors file holding the model's weights, Adam's moments, and in its
 * metadata the run's config, the epoch reached, the optimizer step and the generator state:
 * all that `--resume` needs to continue as if never stopped. One file, written atomically,
 * so a checkpoint is always whole: the old one until the instant the new one replaces it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { decodeSafetensors } from '../io/safetensors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { Random, type RandomState } from '../engine/random.js';
import { Adam } from '../nn/adam.js';
import { VAE } from '../vae/model.js';
import { validateVaeConfig } from '../vae/config.js';
import { validateTrainingConfig, type RunConfig } from './config.js';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT as FORMAT, CHECKPOINT_VERSION as VERSION, encodeCheckpoint, type TrainingState } from './checkpoint-bytes.js';

// The encoder lives apart from the file system, so the browser can build checkpoints too.
export { CHECKPOINT_FILE, createTrainingState, encodeCheckpoint, type TrainingState } from './checkpoint-bytes.js';

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
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): TrainingState {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const bad = (why: string): UserError => new UserError(`checkpoint ${source} is not usable: ${why}`);
  if (metadata.format !== FORMAT) throw bad(`not a checkpoint of this toolkit (format ${JSON.stringify(metadata.format ?? null)})`);
  if (metadata.version !== VERSION) throw bad(`version ${metadata.version}, this toolkit reads version ${VERSION}`);

  const config = parseJson<RunConfig>(metadata.config, 'config', bad);
  try {
    if (typeof config !== 'object' || config === null) throw new RangeError('not an object');
    validateVaeConfig(config.model);
    validateTrainingConfig(config.training);
  } catch (err) {
    throw bad(`its config is invalid: ${(err as Error).message}`);
  }
  const epoch = Number(metadata.epoch);
  const step = Number(metadata.adam_step);
  if (!Number.isInteger(epoch) || epoch < 0) throw bad(`bad epoch ${metadata.epoch}`);
  if (!Number.isInteger(step) || step < 0) throw bad(`bad optimizer step ${metadata.adam_step}`);
  let rng: Random;
  try {
    rng = Random.fromState(parseJson<RandomState>(metadata.rng, 'rng', bad));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw bad(`bad generator state: ${(err as Error).message}`);
  }

  // Weights are set into a freshly built model; its own init is overwritten, so any seed does.
  const model = new VAE(config.model, new Random(0));
  const params = model.parameters();
  const expected = new Set<string>();
  const take = (key: string, shape: readonly number[]): Float32Array => {
    expected.add(key);
    const t = tensors[key];
    if (t === undefined) throw bad(`tensor ${key} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw bad(`tensor ${key} has shape [${t.shape.join(', ')}], the model config needs [${shape.join(', ')}]`);
    }
    return t.data;
  };
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const [name, t] of params) {
    t.data.set(take(`model.${name}`, t.shape));
    m.push(take(`adam.m.${name}`, t.shape));
    v.push(take(`adam.v.${name}`, t.shape));
  }
  const extra = Object.keys(tensors).filter((k) => !expected.has(k));
  if (extra.length > 0) throw bad(`unexpected tensor ${extra[0]} for this model config`);
  const optimizer = new Adam(params, { lr: config.training.lr });
  optimizer.setState({ step, m, v });
  return { config, model, optimizer, rng, epoch };
}

function parseJson<T>(text: string | undefined, what: string, bad: (why: string) => UserError): T {
  if (text === undefined) throw bad(`metadata ${what} is missing`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw bad(`metadata ${what} is not valid JSON`);
  }
}
