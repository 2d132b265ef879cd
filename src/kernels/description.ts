/**
 * What a kernel provider is, in the words run headers and configs use (`native (openblas)`,
 * `wasm (2 threads)`, `js`). The chooser knows the details (the addon's GEMM, the threads) when
 * it picks a provider and leaves them here, so code that only holds the provider, such as the
 * trainer in a browser, records the same words without loading anything.
 */
import type { Kernels } from './kernels.js';

const descriptions = new WeakMap<Kernels, string>();

export function recordKernelsDescription(kernels: Kernels, description: string): void {
  descriptions.set(kernels, description);
}

/** The description the chooser left for this provider, else its name. */
export function kernelsDescription(kernels: Kernels): string {
  return descriptions.get(kernels) ?? kernels.name;
}
