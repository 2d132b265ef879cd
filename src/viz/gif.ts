/**
 * Animated GIF (GIF89a) encoding: one palette shared by all frames, LZW-compressed frames,
 * and the looping extension so viewers play the animation over and over. Plots are mostly a
 * few flat colors with anti-aliased edges, so a popularity palette (the 256 most used colors
 * at 5 bits per channel) keeps every class color exact and loses only the faint edge blends.
 */

export interface GifFrame {
  /** RGB, 3 bytes per pixel, row-major. */
  rgb: Uint8Array;
  /** How long the frame stays, in hundredths of a second. */
  delay: number;
}

export function encodeGif(width: number, height: number, frames: GifFrame[]): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0xffff || height > 0xffff) {
    throw new RangeError(`encodeGif: bad size ${width}x${height}`);
  }
  if (frames.length === 0) throw new RangeError('encodeGif: need at least one frame');
  for (const [i, f] of frames.entries()) {
    if (f.rgb.length !== width * height * 3) throw new RangeError(`encodeGif: frame ${i} has ${f.rgb.length} bytes, expected ${width * height * 3}`);
  }
  const palette = popularityPalette(frames.map((f) => f.rgb));
  const out = new ByteWriter();
  out.ascii('GIF89a');
  out.u16(width);
  out.u16(height);
  // Global color table of 256 entries, 8 bits of color resolution.
  out.bytes([0xf7, 0, 0]);
  out.bytes(palette.colors);
  // NETSCAPE2.0 application extension: loop forever.
  out.bytes([0x21, 0xff, 0x0b]);
  out.ascii('NETSCAPE2.0');
  out.bytes([0x03, 0x01, 0x00, 0x00, 0x00]);
  for (const frame of frames) {
    // Graphic control extension: disposal "leave in place", the delay, no transparency.
    out.bytes([0x21, 0xf9, 0x04, 0x04]);
    out.u16(Math.max(0, Math.min(0xffff, Math.round(frame.delay))));
    out.bytes([0x00, 0x00]);
    // Image descriptor: the whole screen, no local color table, not interlaced.
    out.bytes([0x2c]);
    out.u16(0);
    out.u16(0);
    out.u16(width);
    out.u16(height);
    out.bytes([0x00]);
    out.bytes([8]); // LZW minimum code size for 8-bit indices
    const data = lzwEncode(palette.indices(frame.rgb), 8);
    for (let off = 0; off < data.length; off += 255) {
      const n = Math.min(255, data.length - off);
      out.bytes([n]);
      out.bytes(data.subarray(off, off + n));
    }
    out.bytes([0x00]);
  }
  out.bytes([0x3b]);
  return out.finish();
}

interface Palette {
  /** 256 * 3 bytes. */
  colors: Uint8Array;
  indices(rgb: Uint8Array): Uint8Array;
}

function popularityPalette(images: Uint8Array[]): Palette {
  const BINS = 1 << 15;
  const count = new Float64Array(BINS);
  const sum = new Float64Array(BINS * 3);
  for (const rgb of images) {
    for (let i = 0; i < rgb.length; i += 3) {
      const bin = ((rgb[i]! >> 3) << 10) | ((rgb[i + 1]! >> 3) << 5) | (rgb[i + 2]! >> 3);
      count[bin]!++;
      sum[3 * bin]! += rgb[i]!;
      sum[3 * bin + 1]! += rgb[i + 1]!;
      sum[3 * bin + 2]! += rgb[i + 2]!;
    }
  }
  const used = [...count.keys()].filter((b) => count[b]! > 0).sort((a, b) => count[b]! - count[a]! || a - b).slice(0, 256);
  const colors = new Uint8Array(256 * 3);
  used.forEach((bin, k) => {
    for (let c = 0; c < 3; c++) colors[3 * k + c] = Math.round(sum[3 * bin + c]! / count[bin]!);
  });
  const size = used.length;
  const cache = new Map<number, number>();
  const nearest = (r: number, g: number, b: number): number => {
    const key = (r << 16) | (g << 8) | b;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let best = 0;
    let bestDist = Infinity;
    for (let k = 0; k < size; k++) {
      const dr = r - colors[3 * k]!;
      const dg = g - colors[3 * k + 1]!;
      const db = b - colors[3 * k + 2]!;
      const dist = dr * dr + dg * dg + db * db;
      if (dist < bestDist) {
        bestDist = dist;
        best = k;
      }
    }
    cache.set(key, best);
    return best;
  };
  return {
    colors,
    indices(rgb) {
      const out = new Uint8Array(rgb.length / 3);
      for (let i = 0; i < out.length; i++) out[i] = nearest(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!);
      return out;
    },
  };
}

/**
 * GIF's variable-width LZW: codes start one bit wider than the symbols, grow by a bit when
 * the table reaches the next power of two, and the table is cleared just before it fills its
 * 4096 codes (the point giflib clears at, which every decoder accepts).
 * Codes are packed least significant bit first.
 */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const bytes: number[] = [];
  let bitBuffer = 0;
  let bitCount = 0;
  let codeSize = minCodeSize + 1;
  const emit = (code: number): void => {
    bitBuffer |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      bytes.push(bitBuffer & 0xff);
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
  };
  let table = new Map<number, number>();
  let next = end + 1;
  emit(clear);
  if (indices.length === 0) {
    emit(end);
  } else {
    let prefix = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = (prefix << 8) | k;
      const code = table.get(key);
      if (code !== undefined) {
        prefix = code;
        continue;
      }
      emit(prefix);
      if (next < 4095) {
        table.set(key, next);
        // The decoder widens its codes once its table reaches 2^codeSize entries.
        if (next === 1 << codeSize && codeSize < 12) codeSize++;
        next++;
      } else {
        emit(clear);
        table = new Map();
        next = end + 1;
        codeSize = minCodeSize + 1;
      }
      prefix = k;
    }
    emit(prefix);
    emit(end);
  }
  if (bitCount > 0) bytes.push(bitBuffer & 0xff);
  return Uint8Array.from(bytes);
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(b: ArrayLike<number>): void {
    const u = Uint8Array.from(b as ArrayLike<number>);
    this.chunks.push(u);
    this.size += u.length;
  }

  u16(v: number): void {
    this.bytes([v & 0xff, (v >> 8) & 0xff]);
  }

  ascii(s: string): void {
    this.bytes([...s].map((c) => c.charCodeAt(0)));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}
