/**
 * The model as the browser receives it: the weights alone (no optimizer moments, a third of
 * a checkpoint's size) in safetensors form, with the architecture in the metadata. This
 * module is imported by the web app too, so it must not touch Node's built-ins.
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { Random } from '../engine/random.js';
import { UserError } from '../errors.js';
import { VAE } from '../vae/model.js';
import { validateVaeConfig, type VaeConfig } from '../vae/config.js';

const FORMAT = 'vae-toolkit/model';
const VERSION = '1';

/** What the page shows about the model besides its weights. */
export interface ModelInfo {
  /** Epochs the model was trained for. */
  epoch: number;
}

export function encodeModelPayload(model: VAE, info: ModelInfo): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of model.parameters()) tensors[name] = { shape: [...t.shape], data: t.data };
  return encodeSafetensors(tensors, {
    format: FORMAT,
    version: VERSION,
    config: JSON.stringify(model.config),
    epoch: String(info.epoch),
  });
}

export function decodeModelPayload(bytes: Uint8Array): { model: VAE; info: ModelInfo } {
  const { tensors, metadata } = decodeSafetensors(bytes, 'model payload');
  const bad = (why: string): UserError => new UserError(`model payload is not usable: ${why}`);
  if (metadata.format !== FORMAT || metadata.version !== VERSION) throw bad(`format ${metadata.format} version ${metadata.version}`);
  let config: VaeConfig;
  try {
    config = JSON.parse(metadata.config ?? '') as VaeConfig;
    validateVaeConfig(config);
  } catch (err) {
    throw bad(`bad config (${(err as Error).message})`);
  }
  // Built with any seed: every weight is overwritten below.
  const model = new VAE(config, new Random(0));
  for (const [name, t] of model.parameters()) {
    const stored = tensors[name];
    if (stored === undefined || stored.data.length !== t.size) throw bad(`tensor ${name} is missing or has the wrong size`);
    t.data.set(stored.data);
  }
  const epoch = Number(metadata.epoch);
  return { model, info: { epoch: Number.isInteger(epoch) && epoch >= 0 ? epoch : 0 } };
}
