/**
 * The model as the browser receives it: the weights alone (no optimizer moments, a third of
 * a checkpoint's size) in safetensors form, with the architecture in the metadata. This
 * module is imported by the web app too, so it must not touch Node's built-ins.
 */
import type { NamedTensor } from '../io/safetensors.js';
import { encodeContainer, readContainer, type ContainerKind } from '../io/container.js';
import type { VAE } from '../vae/model.js';
import { validateVaeConfig, type VaeConfig } from '../vae/config.js';
import { modelFromTensors } from '../vae/from-tensors.js';

const KIND: ContainerKind = { noun: 'model payload', format: 'vae-toolkit/model', versions: ['1'] };

/** What the page shows about the model besides its weights. */
export interface ModelInfo {
  /** Epochs the model was trained for. */
  epoch: number;
}

export function encodeModelPayload(model: VAE, info: ModelInfo): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of model.parameters()) tensors[name] = { shape: [...t.shape], data: t.data };
  return encodeContainer(KIND, tensors, { config: JSON.stringify(model.config), epoch: String(info.epoch) }, { checksum: true });
}

export function decodeModelPayload(bytes: Uint8Array): { model: VAE; info: ModelInfo } {
  const file = readContainer(bytes, 'from the server', KIND);
  const config = file.json('config') as VaeConfig;
  try {
    validateVaeConfig(config);
  } catch (err) {
    throw file.bad(`bad config (${(err as Error).message})`);
  }
  const model = modelFromTensors(config, (name, shape) => file.tensor(name, shape, 'the model config needs'));
  file.noOthers(' for this model config');
  return { model, info: { epoch: file.uint('epoch') } };
}
