/**
 * Reader for IDX files, the format MNIST and its look-alikes (Fashion-MNIST, KMNIST, EMNIST)
 * are distributed in. Only the unsigned-byte element type is supported: every image
 * dataset in that family uses it, and the toolkit scales pixels from bytes anyway.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../errors.js';

export interface IdxFile {
  /** Sizes of each dimension, outermost first (for images: count, height, width). */
  dims: number[];
  /** The elements in row-major order; a view into the file's bytes, not a copy. */
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const MAX_DIMS = 4;

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new UserError(`expected a file but found a folder: ${path}`);
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads an IDX file, plain or gzipped. Gzip is recognised by its magic bytes rather than by
 * the name, because downloads are often renamed or transparently decompressed by browsers.
 * Any problem with the file is a UserError naming it.
 */
export function readIdxFile(path: string): IdxFile {
  let bytes: Uint8Array = readBytes(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new UserError(`bad gzip file ${path}: ${(err as Error).message}`);
    }
  }
  const bad = (what: string): UserError => new UserError(`bad IDX file ${path}: ${what}`);

  if (bytes.length < 4) throw bad(`only ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== IDX_UBYTE) {
    throw bad(`magic number ${hex32(magic)}, expected an unsigned-byte IDX (0x0000080N)`);
  }
  const ndims = bytes[3]!;
  if (ndims < 1 || ndims > MAX_DIMS) {
    throw bad(`${ndims} dimensions (magic number ${hex32(magic)}), expected 1 to ${MAX_DIMS}`);
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw bad(`header cut short: ${ndims} dimensions need ${headerLength} bytes, file has ${bytes.length}`);
  }
  const dims: number[] = [];
  // Plain numbers are exact here: 4 factors below 2^32 only overflow 2^53 for absurd
  // sizes, and those fail the length check below anyway.
  let expected = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    expected *= size;
  }
  const actual = bytes.length - headerLength;
  if (actual !== expected) {
    const shape = dims.join('x');
    const problem = actual < expected ? 'truncated' : 'trailing bytes';
    throw bad(`${problem}: shape ${shape} needs ${expected} data bytes, found ${actual}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}
