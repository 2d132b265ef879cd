/**
 * Animated GIF (GIF89a) encoding: one palette shared by all frames, LZW-compressed frames,
 * and the looping extension so viewers play the animation over and over. Plots are mostly a
 * few flat colors with anti-aliased edges, and grey frames have at most 32 levels at 5 bits:
 * both get an entry for each color bin they use. Frames with more colors (colour images) get median cut for
 * all but their flat colors (see framesPalette).
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
  const palette = framesPalette(frames.map((f) => f.rgb));
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

/** Colors in 5-bit-per-channel bins: how many pixels fall in each, and the mean color of those pixels. */
interface Bin {
  count: number;
  rgb: [number, number, number];
}

/** Pixels that make a color "flat" (a background, a class color, a line): kept exactly. */
const FLAT_SHARE = 1 / 1000;
/** Palette entries at most for flat colors; the rest go to median cut. */
const MAX_FLAT = 128;

/**
 * One palette for every frame. With at most 256 bins in use (grey frames, plots of few colors)
 * each bin gets its own entry, exact. Otherwise (anti-aliased plots, colour images) the bins
 * that cover at least 1/1000 of the pixels keep their own entry (up to 128 of them), so flat
 * colors stay exact, and median cut (see varianceCut) spreads the remaining entries over the
 * other bins, weighted by their pixels, so every region of color space in use has an entry near it.
 */
function framesPalette(images: Uint8Array[]): Palette {
  const BINS = 1 << 15;
  const count = new Float64Array(BINS);
  const sum = new Float64Array(BINS * 3);
  let pixels = 0;
  for (const rgb of images) {
    for (let i = 0; i < rgb.length; i += 3) {
      const bin = ((rgb[i]! >> 3) << 10) | ((rgb[i + 1]! >> 3) << 5) | (rgb[i + 2]! >> 3);
      count[bin]!++;
      sum[3 * bin]! += rgb[i]!;
      sum[3 * bin + 1]! += rgb[i + 1]!;
      sum[3 * bin + 2]! += rgb[i + 2]!;
    }
    pixels += rgb.length / 3;
  }
  const used = [...count.keys()].filter((b) => count[b]! > 0).sort((a, b) => count[b]! - count[a]! || a - b);
  const binOf = (b: number): Bin => ({ count: count[b]!, rgb: [0, 1, 2].map((c) => sum[3 * b + c]! / count[b]!) as [number, number, number] });
  let entries: Array<[number, number, number]>;
  if (used.length <= 256) {
    entries = used.map((b) => binOf(b).rgb);
  } else {
    const flat = used.filter((b) => count[b]! >= FLAT_SHARE * pixels).slice(0, MAX_FLAT);
    const flatSet = new Set(flat);
    const rest = used.filter((b) => !flatSet.has(b)).map(binOf);
    entries = [...flat.map((b) => binOf(b).rgb), ...varianceCut(rest, 256 - flat.length)];
  }
  const colors = new Uint8Array(256 * 3);
  entries.forEach((rgb, k) => {
    for (let c = 0; c < 3; c++) colors[3 * k + c] = Math.round(rgb[c]!);
  });
  const size = entries.length;
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
 * Median cut (Heckbert 1982) in its variance-based form (Wan, Wong and Prusinkiewicz 1988):
 * start with one box holding every bin; split the box with the largest pixel-weighted squared
 * error at its mean along its channel of largest variance, until there are `boxes` boxes or
 * none can be split. Each box gives the pixel-weighted mean of its colors.
 */
export function varianceCut(bins: Bin[], boxes: number): Array<[number, number, number]> {
  if (bins.length === 0 || boxes < 1) return [];
  // A box's spread: the pixel-weighted sum of squared distances from its mean color, and
  // the channel along which it is largest.
  const extent = (box: Bin[]): { channel: number; error: number; mean: number[] } => {
    let pixels = 0;
    const s = [0, 0, 0];
    const s2 = [0, 0, 0];
    for (const b of box) {
      pixels += b.count;
      for (let c = 0; c < 3; c++) {
        s[c]! += b.count * b.rgb[c]!;
        s2[c]! += b.count * b.rgb[c]! ** 2;
      }
    }
    const spread = [0, 1, 2].map((c) => s2[c]! - s[c]! ** 2 / pixels);
    const channel = spread.indexOf(Math.max(...spread));
    return { channel, error: spread[0]! + spread[1]! + spread[2]!, mean: s.map((v) => v / pixels) };
  };
  // Each box with its extent, computed once when the box is made.
  const queue: Array<{ box: Bin[]; channel: number; score: number; cut: number }> = [];
  const push = (box: Bin[]): void => {
    const e = extent(box);
    queue.push({ box, channel: e.channel, score: box.length < 2 ? 0 : e.error, cut: e.mean[e.channel]! });
  };
  push(bins);
  while (queue.length < boxes) {
    let pick = -1;
    let score = 0;
    queue.forEach((q, i) => {
      if (q.score > score) {
        score = q.score;
        pick = i;
      }
    });
    if (pick < 0) break;
    const { box: unsorted, channel, cut: at } = queue[pick]!;
    const box = unsorted.slice().sort((a, b) => a.rgb[channel]! - b.rgb[channel]!);
    // Split at the box's mean along that channel (keeping at least one color on each side).
    let cut = box.findIndex((b) => b.rgb[channel]! > at);
    cut = Math.min(box.length - 1, Math.max(1, cut < 0 ? box.length - 1 : cut));
    queue.splice(pick, 1);
    push(box.slice(0, cut));
    push(box.slice(cut));
  }
  return queue.map(({ box }) => {
    const pixels = box.reduce((n, b) => n + b.count, 0);
    return [0, 1, 2].map((c) => box.reduce((s, b) => s + b.rgb[c]! * b.count, 0) / pixels) as [number, number, number];
  });
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
