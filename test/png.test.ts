import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { crc32, encodePng } from '../src/viz/png.js';
import { imageGrid, imageRows } from '../src/viz/grid.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Decode with pngjs (an independent implementation) and expand to per-pixel RGBA. */
function decode(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
}

function toRgba(pixels: Uint8Array, channels: 1 | 3 | 4): Uint8Array {
  const n = pixels.length / channels;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    if (channels === 1) out.set([pixels[i]!, pixels[i]!, pixels[i]!, 255], i * 4);
    else if (channels === 3) out.set([pixels[i * 3]!, pixels[i * 3 + 1]!, pixels[i * 3 + 2]!, 255], i * 4);
    else out.set(pixels.subarray(i * 4, i * 4 + 4), i * 4);
  }
  return out;
}

/** Mix of smooth gradients and noise so that every filter type gets chosen somewhere. */
function testPixels(width: number, height: number, channels: number, seed: number): Uint8Array {
  const r = rng(seed);
  const px = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        px[i] = y % 3 === 0 ? Math.floor(r() * 256) : (x * 7 + y * 3 + c * 50) & 0xff;
      }
    }
  }
  return px;
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

for (const channels of [1, 3, 4] as const) {
  test(`encodePng ${channels}-channel images decode to the same pixels`, () => {
    for (const [width, height] of [
      [1, 1],
      [5, 3],
      [28, 28],
      [97, 41],
    ] as const) {
      const pixels = testPixels(width, height, channels, width * 31 + height);
      const bytes = encodePng({ width, height, channels, pixels });
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const png = PNG.sync.read(Buffer.from(bytes));
      assert.equal(png.width, width);
      assert.equal(png.height, height);
      const decoded = decode(bytes);
      assert.deepEqual(decoded.rgba, toRgba(pixels, channels), `${width}x${height}x${channels}`);
    }
  });
}

test('encodePng writes the right color type and splits large data into several IDAT chunks', () => {
  const width = 700;
  const height = 700;
  const r = rng(7);
  // Noise barely compresses, so the stream exceeds one IDAT chunk.
  const pixels = new Uint8Array(width * height * 3).map(() => Math.floor(r() * 256));
  const bytes = encodePng({ width, height, channels: 3, pixels });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: string[] = [];
  for (let pos = 8; pos < bytes.length; ) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    assert.equal(view.getUint32(pos + 8 + len), crc32(bytes, pos + 4, pos + 8 + len), `${type} CRC`);
    types.push(type);
    pos += 12 + len;
  }
  assert.equal(types[0], 'IHDR');
  assert.equal(types.at(-1), 'IEND');
  assert.ok(types.filter((t) => t === 'IDAT').length >= 2, `chunks: ${types.join(',')}`);
  assert.equal(bytes[8 + 8 + 8], 8, 'bit depth');
  assert.equal(bytes[8 + 8 + 9], 2, 'color type RGB');
  assert.deepEqual(decode(bytes).rgba, toRgba(pixels, 3));

  const gray = encodePng({ width: 2, height: 2, channels: 1, pixels: new Uint8Array(4) });
  assert.equal(gray[25], 0);
  const rgba = encodePng({ width: 2, height: 2, channels: 4, pixels: new Uint8Array(16) });
  assert.equal(rgba[25], 6);
});

test('encodePng rejects invalid arguments with RangeError', () => {
  const ok = { width: 2, height: 2, channels: 1 as const, pixels: new Uint8Array(4) };
  assert.throws(() => encodePng({ ...ok, width: 0, pixels: new Uint8Array(0) }), RangeError);
  assert.throws(() => encodePng({ ...ok, height: 1.5 }), RangeError);
  assert.throws(() => encodePng({ ...ok, pixels: new Uint8Array(5) }), RangeError);
  assert.throws(() => encodePng({ ...ok, channels: 2 as unknown as 1 }), RangeError);
});

test('imageGrid geometry: 6 images, 3 columns, scale 2, padding 1', () => {
  const count = 6;
  const h = 4;
  const w = 3;
  const cols = 3;
  const scale = 2;
  const padding = 1;
  const images = new Float32Array(count * h * w);
  // Each image k has a distinct value everywhere plus one marked pixel.
  for (let k = 0; k < count; k++) {
    images.fill(k / 7, k * h * w, (k + 1) * h * w);
    images[k * h * w + 2 * w + 1] = 1; // (y=2, x=1)
  }
  const grid = imageGrid(images, count, h, w, { cols, scale, padding });
  const rows = 2;
  assert.equal(grid.channels, 1);
  assert.equal(grid.width, cols * w * scale + (cols + 1) * padding); // 22
  assert.equal(grid.height, rows * h * scale + (rows + 1) * padding); // 19
  assert.equal(grid.width, 22);
  assert.equal(grid.height, 19);
  assert.equal(grid.pixels.length, 22 * 19);

  const at = (x: number, y: number) => grid.pixels[y * grid.width + x]!;
  for (let k = 0; k < count; k++) {
    const x0 = padding + (k % cols) * (w * scale + padding);
    const y0 = padding + Math.floor(k / cols) * (h * scale + padding);
    // The marked pixel covers a scale x scale block.
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) assert.equal(at(x0 + 1 * scale + dx, y0 + 2 * scale + dy), 255, `image ${k}`);
    }
    assert.equal(at(x0, y0), Math.round((k / 7) * 255), `image ${k} corner`);
    assert.equal(at(x0 + w * scale - 1, y0 + h * scale - 1), Math.round((k / 7) * 255));
  }
  // Padding: outer border, and the separators between cells.
  for (let x = 0; x < grid.width; x++) {
    assert.equal(at(x, 0), 128);
    assert.equal(at(x, grid.height - 1), 128);
    assert.equal(at(x, padding + h * scale), 128);
  }
  for (let y = 0; y < grid.height; y++) {
    assert.equal(at(0, y), 128);
    assert.equal(at(grid.width - 1, y), 128);
    assert.equal(at(padding + w * scale, y), 128);
    assert.equal(at(2 * (padding + w * scale), y), 128);
  }
  // Counting: exactly the padding pixels are background (no image value is 0.5).
  const bg = grid.pixels.filter((v) => v === 128).length;
  assert.equal(bg, grid.width * grid.height - count * h * w * scale * scale);

  // The result is directly encodable.
  const decoded = decode(encodePng(grid));
  assert.equal(decoded.width, 22);
  assert.equal(decoded.height, 19);
  assert.deepEqual(decoded.rgba, toRgba(grid.pixels, 1));
});

test('imageGrid defaults, clamping and empty cells', () => {
  const images = new Float32Array([-0.5, 1.7, NaN, 0.5, 0.25]);
  const grid = imageGrid(images, 5, 1, 1);
  // cols = ceil(sqrt(5)) = 3, rows = 2, padding 2, scale 1.
  assert.equal(grid.width, 3 + 4 * 2);
  assert.equal(grid.height, 2 + 3 * 2);
  const at = (x: number, y: number) => grid.pixels[y * grid.width + x]!;
  assert.deepEqual([at(2, 2), at(5, 2), at(8, 2), at(2, 5), at(5, 5)], [0, 255, 0, 128, 64]);
  assert.equal(at(8, 5), 128, 'unused cell is background');

  const dark = imageGrid(new Float32Array(4).fill(1), 1, 2, 2, { padding: 0, background: 0 });
  assert.deepEqual([...dark.pixels], [255, 255, 255, 255]);
  const onlyFirst = imageGrid(new Float32Array([0, 1]), 1, 1, 1, { padding: 1, background: 1 });
  assert.deepEqual([...onlyFirst.pixels], [255, 255, 255, 255, 0, 255, 255, 255, 255]);

  assert.throws(() => imageGrid(new Float32Array(3), 1, 2, 2), RangeError);
  assert.throws(() => imageGrid(new Float32Array(4), 0, 2, 2), RangeError);
  assert.throws(() => imageGrid(new Float32Array(4), 1, 2, 2, { scale: 1.5 }), RangeError);
  assert.throws(() => imageGrid(new Float32Array(4), 1, 2, 2, { background: 2 }), RangeError);
});

test('imageRows puts each array on its own row, aligned by column', () => {
  const h = 2;
  const w = 2;
  const originals = new Float32Array(3 * h * w);
  const recon = new Float32Array(2 * h * w);
  for (let i = 0; i < 3; i++) originals.fill((i + 1) / 4, i * h * w, (i + 1) * h * w);
  for (let i = 0; i < 2; i++) recon.fill((i + 1) / 8, i * h * w, (i + 1) * h * w);
  const grid = imageRows([originals, recon], 3, h, w, { padding: 1, scale: 3 });
  assert.equal(grid.width, 3 * w * 3 + 4);
  assert.equal(grid.height, 2 * h * 3 + 3);
  const at = (x: number, y: number) => grid.pixels[y * grid.width + x]!;
  const cell = (r: number, c: number) => at(1 + c * (w * 3 + 1) + 2, 1 + r * (h * 3 + 1) + 2);
  assert.deepEqual([cell(0, 0), cell(0, 1), cell(0, 2)], [64, 128, 191]);
  assert.deepEqual([cell(1, 0), cell(1, 1), cell(1, 2)], [32, 64, 128]);
  assert.throws(() => imageRows([new Float32Array(5)], 2, h, w), RangeError);
  assert.throws(() => imageRows([], 2, h, w), RangeError);
});
