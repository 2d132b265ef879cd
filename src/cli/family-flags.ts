/**
 * Helpers about members of the VAE family that commands share. (The flags that choose a
 * member are settings of a run: src/run/settings.ts; how to reload a run's data is in
 * src/train/run-data.ts, how to name its objective in src/vae/describe.ts.)
 */
import type { VAE } from '../vae/model.js';

/** Labels for pictures of a conditional model's samples: the classes in turn. */
export function sampleLabels(model: VAE, count: number): Uint16Array | undefined {
  if (model.classes === 0) return undefined;
  return Uint16Array.from({ length: count }, (_, i) => i % model.classes);
}
