import { deflateSync } from 'node:zlib';

export interface PngImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** Row-major, 8 bits per sample, channels interleaved. */
  pixels: Uint8Array;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / zlib polynomial) as required for PNG chunks. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPE: Record<1 | 3 | 4, number> = { 1: 0, 3: 2, 4: 6 };
// Splitting IDAT keeps each chunk well under decoders' per-chunk limits.
const MAX_IDAT = 1 << 20;

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  // The CRC covers the type and the data but not the length.
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * Filter every row with each of the five PNG filters and keep the one with the
 * smallest sum of absolute signed residuals (the heuristic libpng uses); it
 * typically shrinks smooth images a lot for little CPU.
 */
function filterRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const zeros = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zeros;
    const dst = y * (stride + 1);
    let bestType = 0;
    let bestScore = Infinity;
    for (let type = 0; type < 5; type++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const x = row[i]!;
        let v: number;
        switch (type) {
          case 0: v = x; break;
          case 1: v = x - a; break;
          case 2: v = x - b; break;
          case 3: v = x - ((a + b) >> 1); break;
          default: v = x - paeth(a, b, c); break;
        }
        v &= 0xff;
        candidate[i] = v;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        out.set(candidate, dst + 1);
      }
    }
    out[dst] = bestType;
  }
  return out;
}

/** Encode 8-bit grayscale, RGB or RGBA pixels as a PNG file. */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || width < 1 || width > 0x7fffffff) {
    throw new RangeError(`encodePng: width must be a positive integer, got ${width}`);
  }
  if (!Number.isInteger(height) || height < 1 || height > 0x7fffffff) {
    throw new RangeError(`encodePng: height must be a positive integer, got ${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`encodePng: channels must be 1, 3 or 4, got ${String(channels)}`);
  }
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels) {
    throw new RangeError(
      `encodePng: expected ${width * height * channels} pixel bytes for ${width}x${height}x${channels}, got ${
        pixels instanceof Uint8Array ? pixels.length : typeof pixels
      }`,
    );
  }

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace

  const compressed = deflateSync(filterRows(pixels, width, height, channels));
  const parts: Uint8Array[] = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr)];
  for (let off = 0; off < compressed.length || off === 0; off += MAX_IDAT) {
    parts.push(chunk('IDAT', compressed.subarray(off, Math.min(off + MAX_IDAT, compressed.length))));
  }
  parts.push(chunk('IEND', new Uint8Array(0)));

  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
