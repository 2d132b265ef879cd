/**
 * Choosing the kernels a run computes with: `native` when the addon loads, else `wasm` (the
 * WebAssembly SIMD kernels shipped in the package), else `js`. `auto` falls back quietly
 * except for one notice line saying which it took and why; asking for `native` or `wasm` by
 * name when it cannot load is the user's error, said in one line.
 */
import { UserError } from '../errors.js';
import { threadedJsKernels } from './js-threads.js';
import { checkGemmInUse, readKernelEnvironment } from './environment.js';
import type { Kernels } from './kernels.js';
import { loadNativeKernels, type NativeInfo } from './native.js';
import { loadWasmKernels, type WasmInfo } from './wasm.js';
import { recordKernelsDescription } from './description.js';

export const KERNEL_CHOICES = ['auto', 'native', 'wasm', 'js'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

export interface KernelSelection {
  kernels: Kernels;
  /** Set when `auto` fell back to wasm or js: one line saying why. */
  notice: string | null;
  /** The addon's own description when native is in use. */
  native: NativeInfo | null;
  /** The wasm kernels' threads when wasm is in use. */
  wasm?: WasmInfo | null;
}

/** The portable kernels, with the matrix product on every core (made once, on first use). */
let portable: Kernels | null = null;
function portableKernels(): Kernels {
  portable ??= threadedJsKernels();
  return portable;
}

export function selectKernels(choice: KernelChoice = 'auto'): KernelSelection {
  const selection = choose(choice);
  recordKernelsDescription(selection.kernels, describeKernels(selection));
  return selection;
}

function choose(choice: KernelChoice): KernelSelection {
  const environment = readKernelEnvironment();
  if (choice === 'js') return { kernels: portableKernels(), notice: null, native: null };
  if (choice === 'wasm') {
    const wasm = loadWasmKernels();
    if (!wasm.ok) throw new UserError(`--kernels wasm is not available: ${wasm.reason}`);
    return { kernels: wasm.kernels, notice: null, native: null, wasm: wasm.info };
  }
  const loaded = loadNativeKernels();
  if (loaded.ok) {
    checkGemmInUse(environment.gemm, loaded.info.gemm);
    return { kernels: loaded.kernels, notice: null, native: loaded.info };
  }
  if (choice === 'native') throw new UserError(`--kernels native is not available: ${loaded.reason}`);
  const wasm = loadWasmKernels();
  if (wasm.ok) {
    return { kernels: wasm.kernels, notice: `note: using the wasm kernels, because ${loaded.reason}`, native: null, wasm: wasm.info };
  }
  return {
    kernels: portableKernels(),
    notice: `note: using the js kernels, because ${loaded.reason}, and ${wasm.reason}`,
    native: null,
  };
}

/**
 * A one-line description for run headers: `native (openblas)`, `native (avx512, 2 threads)`,
 * `wasm (2 threads)`, `js`.
 */
export function describeKernels(selection: KernelSelection): string {
  if (selection.wasm) return `wasm (${selection.wasm.threads} thread${selection.wasm.threads === 1 ? '' : 's'})`;
  if (selection.native === null) return selection.kernels.name;
  const { gemm, threads } = selection.native;
  return gemm === 'openblas' ? 'native (openblas)' : `native (${gemm}, ${threads} thread${threads === 1 ? '' : 's'})`;
}
