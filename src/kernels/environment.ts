/**
 * The environment variables the kernels read, checked before anything runs on them. The
 * addon reads them itself (native/src/pool.cc, gemm.cc), and quietly: a typo there would
 * silently run on other settings than the user asked for, so a bad value is the user's
 * error, said in one line.
 *
 *   VAE_NUM_THREADS  threads of the native kernels' pool (1 to 64; the pool's ceiling)
 *   VAE_GEMM         the native matrix product: openblas, builtin, avx512, avx2 or base
 */
import { UserError } from '../errors.js';

export const MAX_THREADS = 64;
export const GEMM_CHOICES = ['openblas', 'builtin', 'avx512', 'avx2', 'base'] as const;
export type GemmChoice = (typeof GEMM_CHOICES)[number];

export interface KernelEnvironment {
  /** VAE_NUM_THREADS, or null when unset. */
  threads: number | null;
  /** VAE_GEMM, or null when unset. */
  gemm: GemmChoice | null;
}

/** Reads and checks the variables; throws a UserError naming the variable and what it takes. */
export function readKernelEnvironment(env: NodeJS.ProcessEnv = process.env): KernelEnvironment {
  return { threads: threadsOf(env['VAE_NUM_THREADS']), gemm: gemmOf(env['VAE_GEMM']) };
}

function threadsOf(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_THREADS)) {
    throw new UserError(`VAE_NUM_THREADS=${JSON.stringify(raw)} is not a thread count: use a whole number from 1 to ${MAX_THREADS}, or unset it`);
  }
  return n;
}

function gemmOf(raw: string | undefined): GemmChoice | null {
  if (raw === undefined) return null;
  if (!(GEMM_CHOICES as readonly string[]).includes(raw)) {
    throw new UserError(`VAE_GEMM=${JSON.stringify(raw)} is not a matrix product: use one of ${GEMM_CHOICES.join(', ')}, or unset it`);
  }
  return raw as GemmChoice;
}

/**
 * After the addon has loaded: the product VAE_GEMM asked for must be the one in use (the addon
 * keeps its default when this build or CPU lacks it). `inUse` is what the addon reports.
 */
export function checkGemmInUse(wanted: GemmChoice | null, inUse: string): void {
  if (wanted === null) return;
  if (wanted === 'builtin' ? inUse === 'openblas' : inUse !== wanted) {
    throw new UserError(`VAE_GEMM=${wanted} is not available in this build or on this CPU (the matrix product runs on ${inUse}); unset it or choose another`);
  }
}
