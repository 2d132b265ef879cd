/**
 * The dSprites-like dataset: its grid, its shapes (areas, centres, symmetries known from their
 * definitions), and its splits (disjoint, seeded, and the factors of each image recoverable).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DSPRITES_COUNT,
  DSPRITES_FACTOR_SIZES,
  DSPRITES_TEST_POOL,
  DSPRITES_TRAIN_POOL,
  dspritesFactors,
  dspritesFactorsOf,
  DSPRITES_FACTOR_COLUMNS,
  dspritesGridIndices,
  factorsOfGridIndex,
  factorValue,
  gridIndex,
  loadDsprites,
  render,
} from '../src/data/dsprites.js';
import { loadDataset } from '../src/data/source.js';
import { subset } from '../src/data/dataset.js';
import { Random } from '../src/engine/index.js';
import { UserError } from '../src/errors.js';

function stats(image: Uint8Array): { area: number; cx: number; cy: number; touchesEdge: boolean } {
  let area = 0;
  let sx = 0;
  let sy = 0;
  let touchesEdge = false;
  for (let r = 0; r < 64; r++) {
    for (let c = 0; c < 64; c++) {
      if (image[r * 64 + c] === 0) continue;
      area++;
      sx += c + 0.5;
      sy += r + 0.5;
      if (r === 0 || c === 0 || r === 63 || c === 63) touchesEdge = true;
    }
  }
  return { area, cx: sx / area, cy: sy / area, touchesEdge };
}

test("the grid has dSprites' 737,280 images and its factor values", () => {
  assert.equal(DSPRITES_COUNT, 737_280);
  assert.deepEqual([...DSPRITES_FACTOR_SIZES], [3, 6, 40, 32, 32]);
  assert.equal(factorValue('scale', 0), 0.5);
  assert.equal(factorValue('scale', 5), 1);
  assert.equal(factorValue('orientation', 0), 0);
  assert.ok(Math.abs(factorValue('orientation', 39) - (2 * Math.PI * 39) / 40) < 1e-12);
  assert.equal(factorValue('posx', 31), 1);
  const rng = new Random(1);
  for (let i = 0; i < 200; i++) {
    const index = rng.int(DSPRITES_COUNT);
    assert.equal(gridIndex(factorsOfGridIndex(index)), index);
  }
  assert.deepEqual([...factorsOfGridIndex(DSPRITES_COUNT - 1)], [2, 5, 39, 31, 31]);
  assert.throws(() => render([3, 0, 0, 0, 0]), /shape index must be an integer in \[0, 2\]/);
});

test('images are binary, and the square and ellipse have the areas of their definitions', () => {
  const square = render([0, 5, 0, 16, 16]);
  assert.ok(square.every((v) => v === 0 || v === 255));
  // Side 17 px at scale 1, 8.5 px at scale 0.5, axis-aligned at orientation 0.
  assert.ok(Math.abs(stats(square).area - 17 * 17) <= 2 * 17 * 2, `square area ${stats(square).area}`);
  const small = stats(render([0, 0, 0, 16, 16])).area;
  assert.ok(Math.abs(small - 8.5 * 8.5) <= 2 * 8.5 * 2, `small square area ${small}`);
  const ellipse = stats(render([1, 5, 0, 16, 16])).area;
  assert.ok(Math.abs(ellipse - Math.PI * 11.5 * 5.75) < 12, `ellipse area ${ellipse}`);
  // Area goes with scale squared for every shape.
  for (const shape of [0, 1, 2]) {
    const big = stats(render([shape, 5, 3, 16, 16])).area;
    const half = stats(render([shape, 0, 3, 16, 16])).area;
    assert.ok(Math.abs(big / half - 4) < 0.4, `shape ${shape}: area ratio ${big / half}`);
  }
});

test('the centre follows the position factors across the frame, never cut by its edge', () => {
  for (const [px, py] of [
    [0, 0],
    [31, 0],
    [10, 25],
    [31, 31],
  ] as const) {
    const s = stats(render([0, 3, 0, px, py]));
    assert.ok(Math.abs(s.cx - (13 + (38 * px) / 31)) < 0.6, `x ${s.cx} at posx ${px}`);
    assert.ok(Math.abs(s.cy - (13 + (38 * py) / 31)) < 0.6, `y ${s.cy} at posy ${py}`);
  }
  for (let shape = 0; shape < 3; shape++) {
    for (let o = 0; o < 40; o++) {
      // Pixel sampling moves the area by up to a pixel along each side.
      const centred = stats(render([shape, 5, o, 16, 16])).area;
      for (const [px, py] of [
        [0, 0],
        [31, 31],
        [0, 31],
      ] as const) {
        const s = stats(render([shape, 5, o, px, py]));
        assert.ok(!s.touchesEdge, `shape ${shape} orientation ${o} at (${px}, ${py}) reaches the edge`);
        assert.ok(Math.abs(s.area - centred) < 0.15 * centred, `shape ${shape} orientation ${o}: area ${s.area} vs ${centred}`);
      }
    }
  }
});

function overlap(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > 0 && b[i]! > 0) both++;
    if (a[i]! > 0 || b[i]! > 0) either++;
  }
  return both / either;
}

test('orientation turns the shapes: the square repeats every quarter turn, the ellipse every half, the heart only whole', () => {
  const at = (shape: number, o: number): Uint8Array => render([shape, 5, o, 15, 15]);
  assert.ok(overlap(at(0, 0), at(0, 10)) > 0.85);
  assert.ok(overlap(at(0, 0), at(0, 5)) < 0.8);
  assert.ok(overlap(at(1, 0), at(1, 20)) > 0.85);
  assert.ok(overlap(at(1, 0), at(1, 10)) < 0.5);
  assert.ok(overlap(at(2, 0), at(2, 20)) < 0.8);
  // The upright heart is mirror-symmetric left to right, and has its lobes (most of its area) above its box centre.
  // At posx 0 its centre is x = 13 px, a pixel boundary, so column c mirrors to 25 - c.
  const heart = render([2, 5, 0, 0, 15]);
  const rows: number[] = [];
  let asymmetric = 0;
  for (let r = 0; r < 64; r++) {
    for (let c = 0; c < 26; c++) {
      if (heart[r * 64 + c]) rows.push(r);
      if ((heart[r * 64 + c]! > 0) !== (heart[r * 64 + 25 - c]! > 0)) asymmetric++;
    }
  }
  assert.equal(asymmetric, 0);
  const s = stats(heart);
  assert.ok(s.cy < (Math.min(...rows) + Math.max(...rows) + 1) / 2, `heart centroid ${s.cy}`);
});

test('the splits are disjoint fixed samples of the grid, a smaller one the start of a larger', () => {
  const test10 = dspritesGridIndices('test', 5000);
  const train = dspritesGridIndices('train', 20000);
  const seen = new Set(test10);
  for (const i of train) assert.ok(!seen.has(i), `grid image ${i} is in both splits`);
  assert.deepEqual([...dspritesGridIndices('train', 100)], [...train.subarray(0, 100)]);
  assert.equal(DSPRITES_TEST_POOL + DSPRITES_TRAIN_POOL, DSPRITES_COUNT);
  // Uniform over shapes, as a sample of the grid should be.
  const shapes = [0, 0, 0];
  for (const i of train) shapes[factorsOfGridIndex(i)[0]]!++;
  for (const n of shapes) assert.ok(Math.abs(n / 20000 - 1 / 3) < 0.02);
});

test('a loaded split holds the images of its factors, labelled by shape', () => {
  const data = loadDsprites({ trainSize: 40, testSize: 30 });
  assert.equal(data.train.count, 40);
  assert.equal(data.test.count, 30);
  assert.equal(data.train.height, 64);
  assert.equal(data.train.channels, 1);
  assert.deepEqual(data.train.description, { classNames: ['square', 'ellipse', 'heart'], noun: 'image' });
  for (const [split, set] of [
    ['train', data.train],
    ['test', data.test],
  ] as const) {
    for (let i = 0; i < set.count; i++) {
      const f = dspritesFactors(split, i);
      assert.equal(set.labels[i], f[0]);
      const image = render(f);
      assert.deepEqual(set.pixels.subarray(i * 4096, (i + 1) * 4096), image);
    }
  }
  // The factors of each image are found from the split itself, and from a subset of it.
  const factorsOfTest = dspritesFactorsOf(subset(data.test, 10))!;
  for (let i = 0; i < 10; i++) assert.deepEqual(factorsOfTest(i), dspritesFactors('test', i));
  assert.throws(() => factorsOfTest(10), /outside/);
  assert.deepEqual(DSPRITES_FACTOR_COLUMNS, ['factor_shape', 'factor_scale', 'factor_orientation', 'factor_posx', 'factor_posy']);
  const viaSpec = loadDataset('dsprites', { trainSize: 5, testSize: 3 });
  assert.equal(dspritesFactorsOf({ ...viaSpec.train, pixels: viaSpec.train.pixels.slice() }), null);
  assert.equal(viaSpec.train.count, 5);
  assert.equal(viaSpec.name, 'dsprites');
  assert.throws(() => loadDsprites({ trainSize: DSPRITES_TRAIN_POOL + 1 }), (e: unknown) => e instanceof UserError && /663552 training images/.test(e.message));
  assert.throws(() => loadDsprites({ testSize: DSPRITES_TEST_POOL + 1 }), (e: unknown) => e instanceof UserError && /73728 test images/.test(e.message));
});
