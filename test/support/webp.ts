/**
 * A tiny lossless WebP (VP8L) writer for tests, so that WebP reading is checked against
 * pictures made here rather than a stored file. It covers only pictures whose every channel
 * takes at most two values (say red, blue, white and transparent): then each channel's
 * prefix code is a "simple" one of one or two symbols, and no transform, colour cache or
 * backward reference is needed. Format: the WebP Lossless Bitstream Specification (RFC 9649).
 */

/** Bits least significant first, as VP8L reads them. */
class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  put(value: number, bits: number): void {
    for (let i = 0; i < bits; i++) {
      this.acc |= ((value >>> i) & 1) << this.count;
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }

  finish(): Uint8Array {
    if (this.count > 0) this.bytes.push(this.acc);
    return Uint8Array.from(this.bytes);
  }
}

/** A lossless WebP file of a width x height RGBA picture (rows top to bottom). */
export function encodeLosslessWebp(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (rgba.length !== 4 * width * height) throw new RangeError('rgba does not fit the size');
  // VP8L codes each pixel as green, red, blue, alpha, in that order.
  const order = [1, 0, 2, 3];
  const symbols = order.map((c) => {
    const values = new Set<number>();
    for (let i = c; i < rgba.length; i += 4) values.add(rgba[i]!);
    if (values.size > 2) throw new RangeError(`channel ${c} takes ${values.size} values; this writer handles at most 2`);
    return [...values].sort((a, b) => a - b);
  });
  const w = new BitWriter();
  w.put(0x2f, 8);
  w.put(width - 1, 14);
  w.put(height - 1, 14);
  w.put(symbols[3]!.some((a) => a !== 255) ? 1 : 0, 1);
  w.put(0, 3); // version
  w.put(0, 1); // no transform
  w.put(0, 1); // no colour cache
  w.put(0, 1); // one set of prefix codes for the whole picture
  const simple = (syms: number[]): void => {
    w.put(1, 1); // a simple code
    w.put(syms.length - 1, 1);
    w.put(1, 1); // the first symbol takes 8 bits
    w.put(syms[0]!, 8);
    if (syms.length === 2) w.put(syms[1]!, 8);
  };
  for (const syms of symbols) simple(syms);
  simple([0]); // distances: unused
  for (let i = 0; i < width * height; i++) {
    order.forEach((c, k) => {
      const syms = symbols[k]!;
      // Two one-bit codes are assigned in symbol order: the smaller value is 0.
      if (syms.length === 2) w.put(rgba[4 * i + c] === syms[1] ? 1 : 0, 1);
    });
  }
  const data = w.finish();
  const padded = data.length + (data.length % 2);
  const out = new Uint8Array(20 + padded);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => [...s].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 12 + padded, true);
  ascii(8, 'WEBP');
  ascii(12, 'VP8L');
  view.setUint32(16, data.length, true);
  out.set(data, 20);
  return out;
}
