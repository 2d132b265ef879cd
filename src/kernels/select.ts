/**
 * Choosing the kernels a run computes with: `native` when the addon loads, else `js`.
 * `auto` falls back quietly except for one notice line; asking for `native` by name when it
 * cannot load is the user's error, said in one line.
 */
import { UserError } from '../errors.js';
import { setKernels } from '../engine/tensor.js';
import { threadedJsKernels } from './js-threads.js';
import { checkGemmInUse, readKernelEnvironment } from './environment.js';
import type { Kernels } from './kernels.js';
import { loadNativeKernels, type NativeInfo } from './native.js';

export const KERNEL_CHOICES = ['auto', 'native', 'js'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

export interface KernelSelection {
  kernels: Kernels;
  /** Set when `auto` fell back to js: one line saying why. */
  notice: string | null;
  /** The addon's own description when native is in use. */
  native: NativeInfo | null;
}

/** The portable kernels, with the matrix product on every core (made once, on first use). */
let portable: Kernels | null = null;
function portableKernels(): Kernels {
  portable ??= threadedJsKernels();
  return portable;
}

export function selectKernels(choice: KernelChoice = 'auto'): KernelSelection {
  const environment = readKernelEnvironment();
  if (choice === 'js') return { kernels: portableKernels(), notice: null, native: null };
  const loaded = loadNativeKernels();
  if (loaded.ok) {
    checkGemmInUse(environment.gemm, loaded.info.gemm);
    return { kernels: loaded.kernels, notice: null, native: loaded.info };
  }
  if (choice === 'native') throw new UserError(`--kernels native is not available: ${loaded.reason}`);
  return { kernels: portableKernels(), notice: `note: using the js kernels, because ${loaded.reason}`, native: null };
}

/** A one-line description for run headers: `native (openblas)`, `native (avx512, 2 threads)`, `js`. */
export function describeKernels(selection: KernelSelection): string {
  if (selection.native === null) return selection.kernels.name;
  const { gemm, threads } = selection.native;
  return gemm === 'openblas' ? 'native (openblas)' : `native (${gemm}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * Selects kernels and makes every op of the engine run on them from now on: the library's
 * one switch (`useKernels('native')`), and what each CLI command does with --kernels.
 */
export function useKernels(choice: KernelChoice = 'auto'): KernelSelection {
  const selection = selectKernels(choice);
  setKernels(selection.kernels);
  return selection;
}
