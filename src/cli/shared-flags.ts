/** Flags that several commands share, described once. */
import { KERNEL_CHOICES, describeKernels } from '../kernels/select.js';
import { useKernels } from '../engine/use-kernels.js';

export const kernelsFlag = {
  kind: 'enum',
  choices: KERNEL_CHOICES,
  default: 'auto',
  help: 'Compute kernels: native (the C++ addon), wasm (WebAssembly SIMD), js (portable), or auto (native, else wasm, else js)',
} as const;

/**
 * Puts the engine on the kernels asked for; prints the one-line notice when auto falls back
 * to js. Returns the description that run headers and config.json carry.
 */
export function applyKernels(choice: (typeof KERNEL_CHOICES)[number]): string {
  const selection = useKernels(choice);
  if (selection.notice !== null) process.stderr.write(selection.notice + '\n');
  return describeKernels(selection);
}
export const checkpointFlag = {
  kind: 'string',
  required: true,
  help: 'Run folder (or checkpoint file) written by vae train',
  valueName: 'DIR',
} as const;

export const scaleFlag = { kind: 'int', min: 1, max: 8, default: 2, help: 'Pixels per image pixel in the PNG' } as const;

/** Where a command's picture goes: `file` in the current folder unless --out says otherwise. */
export function pngOutFlag<const F extends string>(file: F) {
  return { kind: 'string', default: file, help: 'PNG file to write (a plain name lands in the current folder)', valueName: 'FILE.png' } as const;
}

/** Names a page server answers to besides its own address and loopback (src/server/guard.ts). */
export const allowHostFlag = {
  kind: 'string',
  help: 'Further host names the server answers to, comma-separated (NAME or NAME:PORT), e.g. for a proxy in front',
  valueName: 'NAMES',
} as const;
