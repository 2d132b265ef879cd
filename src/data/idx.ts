/**
 * Reader for IDX files, the format MNIST and its look-alikes (Fashion-MNIST, KMNIST, EMNIST)
 * are distributed in. Only the unsigned-byte element type is supported: every image
 * dataset in that family uses it, and the toolkit scales pixels from bytes anyway.
 */
import { constants, gunzipSync } from 'node:zlib';
import { UserError } from '../errors.js';
import { RegularFile } from '../io/bounded-read.js';

export interface IdxFile {
  /** Sizes of each dimension, outermost first (for images: count, height, width). */
  dims: number[];
  /** The elements in row-major order; a view into the file's bytes, not a copy. */
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const MAX_DIMS = 4;
const MAX_HEADER = 4 + 4 * MAX_DIMS;
/**
 * The most element bytes an IDX file may declare: well above the largest dataset of the
 * family (EMNIST ByClass, 0.55 GB), well below what would take the machine down as floats.
 */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

interface IdxHeader {
  dims: number[];
  headerLength: number;
  /** Header plus elements: the exact length of the file (of its inflated contents when gzipped). */
  total: number;
}

/** The header from the file's first bytes (at least MAX_HEADER of them when the file has that many). */
function parseHeader(bytes: Uint8Array, bad: (what: string) => UserError): IdxHeader {
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
  // Plain numbers are exact: 4 factors below 2^32 stay below 2^128, and anything past
  // MAX_IDX_BYTES is refused before it matters.
  let elements = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    elements *= size;
  }
  if (elements > MAX_IDX_BYTES) throw bad(`shape ${dims.join('x')} declares ${elements} bytes, more than the ${MAX_IDX_BYTES} this toolkit reads`);
  return { dims, headerLength, total: headerLength + elements };
}

function checkLength(header: IdxHeader, length: number, bad: (what: string) => UserError): void {
  const actual = length - header.headerLength;
  const expected = header.total - header.headerLength;
  if (actual !== expected) {
    const problem = actual < expected ? 'truncated' : 'trailing bytes';
    throw bad(`${problem}: shape ${header.dims.join('x')} needs ${expected} data bytes, found ${actual}`);
  }
}

function isBufferTooLarge(err: unknown): boolean {
  return err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * The first inflated bytes of a gzip stream, enough for an IDX header, from as little of
 * the compressed input as gives them: a sync flush yields what a prefix holds without
 * asking for the rest, and the output of a prefix is bounded by deflate's ratio (~1032:1).
 */
function inflateHead(compressed: Uint8Array, path: string): Uint8Array {
  for (let take = 1024; ; take *= 16) {
    const prefix = compressed.subarray(0, Math.min(take, compressed.length));
    let head: Uint8Array;
    try {
      head = gunzipSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1100 * prefix.length + MAX_HEADER });
    } catch (err) {
      if (isBufferTooLarge(err)) return new Uint8Array(0);
      throw new UserError(`bad gzip file ${path}: ${(err as Error).message}`);
    }
    if (head.length >= MAX_HEADER || prefix.length === compressed.length || take >= 1 << 20) return head;
  }
}

/**
 * Reads an IDX file, plain or gzipped. Gzip is recognised by its magic bytes rather than by
 * the name, because downloads are often renamed or transparently decompressed by browsers.
 * Only regular files are read, and the header's shape is checked against the file's size
 * (or caps the inflation of a gzipped one) before the contents are read into memory.
 * Any problem with the file is a UserError naming it.
 */
export function readIdxFile(path: string): IdxFile {
  const bad = (what: string): UserError => new UserError(`bad IDX file ${path}: ${what}`);
  const file = RegularFile.open(path, 'IDX file');
  let bytes: Uint8Array;
  let header: IdxHeader;
  try {
    const start = file.read(0, MAX_HEADER);
    if (start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b) {
      // Deflate shrinks at most ~1032:1, so a file this large cannot hold a readable dataset.
      if (file.size > MAX_IDX_BYTES) throw bad(`the gzip file is ${file.size} bytes, more than the ${MAX_IDX_BYTES} this toolkit reads`);
      const compressed = file.readAll();
      header = parseHeader(inflateHead(compressed, path), bad);
      try {
        // One byte over the declared length is enough to know there is too much.
        bytes = gunzipSync(compressed, { maxOutputLength: header.total + 1 });
      } catch (err) {
        if (isBufferTooLarge(err)) {
          throw bad(`inflates to more than the ${header.total} bytes its header declares (shape ${header.dims.join('x')})`);
        }
        throw new UserError(`bad gzip file ${path}: ${(err as Error).message}`);
      }
    } else {
      header = parseHeader(start, bad);
      checkLength(header, file.size, bad);
      bytes = file.readAll();
    }
  } finally {
    file.close();
  }
  checkLength(header, bytes.length, bad);
  return { dims: header.dims, data: bytes.subarray(header.headerLength) };
}
