/**
 * A drawing becomes a stored sample (src/collect/ink.ts), checked against answers worked out
 * by hand from the rule: the ink's box, a margin of 12% of its height (at least 3% of its
 * width, at least a pixel) on every side, grown to 1:4, scaled to 32 x 128 and centred, ink
 * 255 on 0. Blank drawings give null; colour, transparency and position do not matter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inkBox, inkOf, sampleFromDrawing, SAMPLE_FRAME } from '../src/collect/ink.js';

const H = SAMPLE_FRAME.height;
const W = SAMPLE_FRAME.width;

/** An RGBA drawing of `width x height`, paper `paper` (RGBA), with rectangles of ink `ink` (RGBA). */
function drawing(width: number, height: number, boxes: Array<[x0: number, y0: number, x1: number, y1: number]>, ink = [0, 0, 0, 255], paper = [255, 255, 255, 255]): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(4 * width * height);
  for (let i = 0; i < width * height; i++) rgba.set(paper, 4 * i);
  for (const [x0, y0, x1, y1] of boxes) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) rgba.set(ink, 4 * (y * width + x));
  return rgba;
}

function at(sample: Uint8Array, x: number, y: number): number {
  return sample[y * W + x]!;
}

/** Columns and rows holding any ink, as [first, last]. */
function extent(sample: Uint8Array): { x: [number, number]; y: [number, number] } {
  let x0 = W;
  let x1 = -1;
  let y0 = H;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (at(sample, x, y) === 0) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return { x: [x0, x1], y: [y0, y1] };
}

function total(sample: Uint8Array): number {
  return sample.reduce((s, v) => s + v, 0) / 255;
}

test('a blank drawing is null: white, transparent, or marks too faint to be ink', () => {
  assert.equal(sampleFromDrawing(drawing(64, 16, []), 64, 16), null);
  assert.equal(sampleFromDrawing(new Uint8ClampedArray(4 * 64 * 16), 64, 16), null);
  // Grey 240 is 6% ink: a smudge, under the 10% that counts.
  assert.equal(sampleFromDrawing(drawing(64, 16, [[5, 5, 20, 10]], [240, 240, 240, 255]), 64, 16), null);
  assert.equal(inkBox(inkOf(drawing(64, 16, []), 64, 16), 64, 16), null);
});

test('a box drawing: centred, its proportions kept, a margin around it, ink 255 on 0', () => {
  // Ink box 100 x 20 at (100, 40). Margin max(0.12 * 20, 0.03 * 100, 1) = 3: a 106 x 26 box,
  // wider than 4:1, so 106 px map to 128 (1.2075 per px) and the box height grows to 26.5.
  // The ink: 120.75 x 24.15 sample pixels, centred on (64, 16): x 3.62..124.38, y 3.92..28.08.
  const sample = sampleFromDrawing(drawing(400, 100, [[100, 40, 200, 60]]), 400, 100)!;
  assert.equal(sample.length, H * W);
  assert.deepEqual(extent(sample), { x: [3, 124], y: [3, 28] });
  for (let y = 4; y <= 27; y++) for (let x = 4; x <= 123; x++) assert.equal(at(sample, x, y), 255, `(${x}, ${y}) inside the ink`);
  for (let x = 0; x < W; x++) for (const y of [0, 1, 2, 29, 30, 31]) assert.equal(at(sample, x, y), 0, `(${x}, ${y}) in the margin`);
  for (let y = 0; y < H; y++) for (const x of [0, 1, 2, 125, 126, 127]) assert.equal(at(sample, x, y), 0, `(${x}, ${y}) in the margin`);
  // Partial pixels at the edges, by overlap: column 3 holds 0.38 of ink, row 3 holds 0.08.
  assert.ok(Math.abs(at(sample, 3, 16) - 0.38 * 255) <= 3, `column 3: ${at(sample, 3, 16)}`);
  assert.ok(Math.abs(at(sample, 64, 3) - 0.08 * 255) <= 3, `row 3: ${at(sample, 64, 3)}`);
  // Area averaging keeps the amount of ink: 120.75 * 24.15 pixels' worth.
  assert.ok(Math.abs(total(sample) - 120.75 * 24.15) < 3, `ink ${total(sample)}`);
});

test('where the word is drawn and in which colour do not matter; transparent paper is white paper', () => {
  const a = sampleFromDrawing(drawing(400, 100, [[100, 40, 200, 60]]), 400, 100)!;
  const moved = sampleFromDrawing(drawing(400, 100, [[13, 71, 113, 91]]), 400, 100)!;
  assert.deepEqual(moved, a);
  const onGlass = sampleFromDrawing(drawing(400, 100, [[100, 40, 200, 60]], [0, 0, 0, 255], [0, 0, 0, 0]), 400, 100)!;
  assert.deepEqual(onGlass, a);
  // Red ink is as dark as its luminance: 1 - 0.299 of full ink.
  const red = sampleFromDrawing(drawing(400, 100, [[100, 40, 200, 60]], [255, 0, 0, 255]), 400, 100)!;
  assert.equal(at(red, 64, 16), Math.round(0.701 * 255));
  assert.deepEqual(extent(red), extent(a));
});

test('a tall drawing fills the height and stays narrow; a wide one fills the width and stays thin', () => {
  // A bar 10 x 80: margin 9.6 each side, a 29.2 x 99.2 box grown to 396.8 wide; 32 / 99.2 per px:
  // the bar is 3.23 x 25.8 sample pixels, centred on (64, 16): x 62.39..65.61, y 3.1..28.9.
  const tall = sampleFromDrawing(drawing(200, 100, [[95, 10, 105, 90]]), 200, 100)!;
  assert.deepEqual(extent(tall), { x: [62, 65], y: [3, 28] });
  for (let y = 4; y <= 27; y++) {
    assert.equal(at(tall, 63, y), 255);
    assert.equal(at(tall, 64, y), 255);
  }
  assert.ok(Math.abs(total(tall) - 3.2258 * 25.806) < 1, `ink ${total(tall)}`);
  // A line 380 x 4: margin max(0.48, 11.4, 1) = 11.4, a 402.8 x 26.8 box; 128 / 402.8 per px:
  // 120.76 x 1.27 sample pixels, centred on (64, 16): x 3.62..124.38, y 15.36..16.64.
  const wide = sampleFromDrawing(drawing(400, 100, [[10, 48, 390, 52]]), 400, 100)!;
  assert.deepEqual(extent(wide), { x: [3, 124], y: [15, 16] });
  assert.ok(Math.abs(total(wide) - 120.76 * 1.271) < 1, `ink ${total(wide)}`);
  // Symmetric about the centre line between rows 15 and 16.
  for (let x = 0; x < W; x++) assert.ok(Math.abs(at(wide, x, 15) - at(wide, x, 16)) <= 1, `column ${x}`);
});

test('the same shape drawn twice as large gives nearly the same sample', () => {
  const small = sampleFromDrawing(drawing(512, 128, [[100, 40, 200, 60], [220, 30, 240, 70]]), 512, 128)!;
  const large = sampleFromDrawing(drawing(1024, 256, [[200, 80, 400, 120], [440, 60, 480, 140]]), 1024, 256)!;
  let worst = 0;
  for (let i = 0; i < small.length; i++) worst = Math.max(worst, Math.abs(small[i]! - large[i]!));
  assert.ok(worst <= 2, `largest difference ${worst}`);
});

test('another frame: the ink is fitted to its proportions', () => {
  const square = { height: 28, width: 28 };
  // A 20 x 20 box, margin 2.4: 24.8 px map to 28; the ink is 22.58 px centred on 14: 2.71..25.29.
  const sample = sampleFromDrawing(drawing(100, 100, [[40, 40, 60, 60]]), 100, 100, square)!;
  assert.equal(sample.length, 28 * 28);
  assert.equal(sample[14 * 28 + 14], 255);
  assert.equal(sample[1 * 28 + 14], 0);
  assert.ok(Math.abs(sample[2 * 28 + 14]! - 0.29 * 255) <= 2, `row 2: ${sample[2 * 28 + 14]}`);
  assert.equal(sample[3 * 28 + 14], 255);
  assert.equal(sample[14 * 28 + 26], 0);
});
