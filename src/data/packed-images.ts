/**
 * Images as the page downloads them: 8-bit pixels and labels, a quarter of their size as
 * floats, in one file with a small header. Little-endian, fixed layout:
 *   8 bytes  magic "vaeimg1\n"
 *   4 x u32  count, height, width, channels
 *   count    labels (u8)
 *   count * channels * height * width pixels (u8, row-major per image)
 * Browser-safe: the server packs, the page unpacks.
 */
import type { ImageDataset } from './dataset.js';

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

// i / 255 rounded once to float32, exactly as the Node loaders scale bytes, so a model
// trained in the page sees the same inputs as `vae eval` on the same images.
const BYTE_TO_UNIT = new Float32Array(256);
for (let i = 0; i < 256; i++) BYTE_TO_UNIT[i] = i / 255;

/** The first `limit` images (all when absent) as a dataset of [0, 1] floats. */
export function packedToDataset(name: string, packed: PackedImages, limit?: number): ImageDataset {
  if (packed.channels !== 1) throw new RangeError(`only grey images can be trained on here, these have ${packed.channels} channels`);
  const count = Math.min(packed.count, limit ?? packed.count);
  const size = packed.height * packed.width;
  const images = new Float32Array(count * size);
  const src = packed.pixels;
  for (let i = 0; i < images.length; i++) images[i] = BYTE_TO_UNIT[src[i]!]!;
  return { name, images, labels: packed.labels.slice(0, count), count, height: packed.height, width: packed.width };
}
