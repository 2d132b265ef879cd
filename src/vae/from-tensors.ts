/**
 * The one way a stored model becomes a VAE: build the architecture its config describes,
 * then fill every parameter from the file. The fresh weights are all overwritten, so the
 * seed they are drawn from does not matter.
 */
import { Random } from '../engine/random.js';
import { VAE } from './model.js';
import type { VaeConfig } from './config.js';

/**
 * `take(name, shape)` returns the stored data of parameter `name` (under whatever name the
 * file uses) after checking it has exactly `shape`; it throws when it cannot.
 */
export function modelFromTensors(config: VaeConfig, take: (name: string, shape: readonly number[]) => Float32Array): VAE {
  const model = new VAE(config, new Random(0));
  for (const [name, t] of model.parameters()) t.data.set(take(name, t.shape));
  return model;
}
