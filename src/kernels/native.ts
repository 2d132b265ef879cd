/**
 * The native kernels: a Node addon (native/, built by node-gyp during `npm install`) with
 * the matrix product on OpenBLAS or on built-in AVX-512 / AVX2 kernels, and fused C++ loops
 * for the elementwise work. Loading it can fail (no compiler at install time, a missing
 * shared library, another platform); the reason is kept so a caller can say why once.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { GemmChoice } from './environment.js';
import { PORTABLE_KERNELS, jsKernels } from './js.js';
import type { Kernels } from './kernels.js';

/** What the addon reports about itself. */
export interface NativeInfo {
  /** The matrix product in use: `openblas`, `avx512`, `avx2` or `base`. */
  gemm: string;
  /** Threads the fused loops use (1 when OpenBLAS owns the cores). */
  threads: number;
}

/**
 * The addon: `kernels` holds one function per row of its kernel table (native/src/addon.cc),
 * each taking its arguments exactly as the Kernels interface does and checking every array's
 * length before it runs.
 */
interface Addon {
  kernels: Record<string, unknown> | undefined;
  info(): NativeInfo;
  setGemm(which: GemmChoice): boolean;
}

/** The addon's matrix products: OpenBLAS, the best built-in kernels, or one instruction set. */
export type { GemmChoice };

export interface NativeKernels {
  ok: true;
  kernels: Kernels;
  /** What the addon runs on now. */
  readonly info: NativeInfo;
  /**
   * Moves the matrix product between OpenBLAS and the built-in SIMD kernels (for
   * benchmarks and tests; the environment variable VAE_GEMM does the same at start). False
   * when this build or CPU lacks the one asked for.
   */
  setGemm(which: GemmChoice): boolean;
}

export type NativeLoad = NativeKernels | { ok: false; reason: string };

/** The addon's path, from dist/src/kernels/ or src/kernels/ alike. */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/vae_native.node', import.meta.url));

let cached: NativeLoad | null = null;

/** Loads the addon once; later calls return the same outcome. */
export function loadNativeKernels(): NativeLoad {
  if (cached !== null) return cached;
  cached = load();
  return cached;
}

function load(): NativeLoad {
  if (!existsSync(ADDON_PATH)) {
    return { ok: false, reason: 'the native addon was not built (npm install needs g++ and make; run `npm rebuild`)' };
  }
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { ok: false, reason: `the native addon did not load: ${message}` };
  }
  // The table is the binding: every kernel the portable provider has, the addon must have
  // too; an addon built from older sources is stale, not half-usable.
  const portable: readonly string[] = PORTABLE_KERNELS;
  const names = Object.keys(jsKernels).filter((key) => key !== 'name' && !portable.includes(key));
  const missing = names.filter((key) => typeof addon.kernels?.[key] !== 'function');
  if (missing.length > 0) {
    return { ok: false, reason: `the native addon is older than this code (it lacks ${missing.join(', ')}; run \`npm run build:native\`)` };
  }
  const shared = Object.fromEntries(PORTABLE_KERNELS.map((key) => [key, jsKernels[key]]));
  const kernels = { ...shared, ...addon.kernels, name: 'native' } as unknown as Kernels;
  return {
    ok: true,
    kernels,
    get info() {
      return addon.info();
    },
    setGemm: (which) => addon.setGemm(which),
  };
}
