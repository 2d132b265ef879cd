/** Checks shared by the figure tests: decode a PNG with pngjs, walk a GIF's blocks. */
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';

/** Decoded PNG and the variance of its gray levels: a blank image has none. */
export function decodePng(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array; variance: number } {
  const png = PNG.sync.read(Buffer.from(bytes));
  const rgba = new Uint8Array(png.data);
  let s = 0;
  let s2 = 0;
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const g = (rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / 3;
    s += g;
    s2 += g * g;
  }
  return { width: png.width, height: png.height, rgba, variance: s2 / n - (s / n) ** 2 };
}

/** Walks a GIF's blocks; returns the frame count and the delay of each frame. */
export function parseGif(bytes: Uint8Array): { width: number; height: number; frames: number; delays: number[]; loops: boolean } {
  const ascii = (a: number, b: number): string => String.fromCharCode(...bytes.subarray(a, b));
  assert.equal(ascii(0, 6), 'GIF89a');
  const width = bytes[6]! | (bytes[7]! << 8);
  const height = bytes[8]! | (bytes[9]! << 8);
  let pos = 13;
  if (bytes[10]! & 0x80) pos += 3 * 2 ** ((bytes[10]! & 7) + 1);
  const skipSubBlocks = (): void => {
    while (bytes[pos] !== 0) pos += bytes[pos]! + 1;
    pos++;
  };
  let frames = 0;
  let loops = false;
  const delays: number[] = [];
  for (;;) {
    const block = bytes[pos];
    if (block === 0x3b) break;
    if (block === 0x21) {
      const label = bytes[pos + 1];
      if (label === 0xf9) delays.push(bytes[pos + 4]! | (bytes[pos + 5]! << 8));
      if (label === 0xff && ascii(pos + 3, pos + 14) === 'NETSCAPE2.0') loops = true;
      pos += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames++;
      const packed = bytes[pos + 9]!;
      pos += 10;
      if (packed & 0x80) pos += 3 * 2 ** ((packed & 7) + 1);
      pos++; // LZW minimum code size
      skipSubBlocks();
    } else {
      assert.fail(`unexpected GIF block 0x${block?.toString(16)} at ${pos}`);
    }
    assert.ok(pos < bytes.length, 'GIF ends without a trailer');
  }
  return { width, height, frames, delays, loops };
}

