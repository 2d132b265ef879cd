/**
 * Images as the page downloads them: 8-bit pixels and labels, a quarter of their size as
 * floats, in one file with a small header. Little-endian, fixed layout:
 *   8 bytes  magic "vaeimg1\n"
 *   4 x u32  count, height, width, channels
 *   count    labels (u8)
 *   count * channels * height * width pixels (u8, CHW per image)
 * Browser-safe: the server packs, the page unpacks.
 */
import { namesAreDigits, type DataDescription, type ImageDataset } from './dataset.js';

const MAGIC = 'vaeimg1\n';
const HEADER_BYTES = 8 + 16;

export interface PackedImages {
  count: number;
  height: number;
  width: number;
  channels: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

export function packImages(images: PackedImages): Uint8Array {
  const { count, height, width, channels, labels, pixels } = images;
  if (labels.length !== count || pixels.length !== count * channels * height * width) {
    throw new RangeError(`packImages: ${labels.length} labels and ${pixels.length} pixels do not fit ${count} images of ${channels}x${height}x${width}`);
  }
  const out = new Uint8Array(HEADER_BYTES + count + pixels.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  [count, height, width, channels].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  out.set(labels, HEADER_BYTES);
  out.set(pixels, HEADER_BYTES + count);
  return out;
}

/** Views into `bytes` (no copy); throws RangeError when they are not a packed image file. */
export function unpackImages(bytes: Uint8Array): PackedImages {
  if (bytes.length < HEADER_BYTES || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new RangeError('not a packed image file (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [count, height, width, channels] = [0, 1, 2, 3].map((i) => view.getUint32(8 + 4 * i, true)) as [number, number, number, number];
  const size = count * channels * height * width;
  if (bytes.length !== HEADER_BYTES + count + size) {
    throw new RangeError(`packed image file has ${bytes.length} bytes, its header promises ${HEADER_BYTES + count + size}`);
  }
  return {
    count,
    height,
    width,
    channels,
    labels: bytes.subarray(HEADER_BYTES, HEADER_BYTES + count),
    pixels: bytes.subarray(HEADER_BYTES + count),
  };
}

/**
 * The first `limit` images (all when absent) as a dataset; the bytes are copied so the
 * download can be dropped. Class names are the labels' numbers unless `description` says.
 */
export function packedToDataset(name: string, packed: PackedImages, limit?: number, description?: DataDescription): ImageDataset {
  const count = Math.min(packed.count, limit ?? packed.count);
  const values = packed.channels * packed.height * packed.width;
  let desc = description;
  if (desc === undefined) {
    let top = -1;
    for (const label of packed.labels) top = Math.max(top, label);
    const classNames = Array.from({ length: top + 1 }, (_, i) => String(i));
    desc = { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
  }
  return {
    name,
    pixels: packed.pixels.slice(0, count * values),
    labels: packed.labels.slice(0, count),
    count,
    channels: packed.channels,
    height: packed.height,
    width: packed.width,
    description: desc,
  };
}
