/**
 * Figures of colour data and the words figures use: colour grids land in the right cells with
 * the right colours (decoded back with pngjs), GIF frames of colour keep their colours (decoded
 * by Skia, an independent decoder), legends and titles name the classes and never say "digit"
 * of images that are not digits, and a long run keeps at most 40 snapshots and frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { Tensor } from '../src/engine/tensor.js';
import { imageGrid, imageRows } from '../src/viz/grid.js';
import { encodePng } from '../src/viz/png.js';
import { encodeGif, varianceCut } from '../src/viz/gif.js';
import { reconstructionFigure } from '../src/viz/figures.js';
import { classLegend, DIGIT_WORDS, testCount, type FigureWords } from '../src/viz/words.js';
import { channelMean } from '../src/viz/decoder-density.js';
import { displayScale, modelImageShape } from '../src/viz/image-shape.js';
import { evenlySpread, evolutionGif } from '../src/viz/evolution.js';
import { latentPlane } from '../src/viz/latent-plane.js';
import { latentScatterFigure } from '../src/viz/latent-figures.js';
import { MAX_SNAPSHOTS, snapshotSchedule, isSnapshotStep, type LatentSnapshots } from '../src/train/snapshots.js';
import { Random } from '../src/engine/random.js';
import { DEFAULT_VAE_CONFIG } from '../src/vae/config.js';
import { decodePng, parseGif } from './viz-helpers.js';

const SHAPES: FigureWords = { classNames: ['blue', 'red'], noun: 'image' };

/** The RGB of pixel (x, y) of a decoded PNG. */
function pixel(img: { width: number; rgba: Uint8Array }, x: number, y: number): [number, number, number] {
  const o = 4 * (y * img.width + x);
  return [img.rgba[o]!, img.rgba[o + 1]!, img.rgba[o + 2]!];
}

/** One CHW image of `h` x `w` pixels, every pixel the colour (r, g, b) in [0, 1]. */
function flat(r: number, g: number, b: number, h: number, w: number): Float32Array {
  const out = new Float32Array(3 * h * w);
  out.fill(r, 0, h * w);
  out.fill(g, h * w, 2 * h * w);
  out.fill(b, 2 * h * w);
  return out;
}

test('a colour grid puts each image in its cell with its own colours (CHW in, RGB PNG out)', () => {
  const h = 2;
  const w = 3;
  // Image 0: red; image 1: a different colour in every pixel; image 2: blue.
  const mixed = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) {
    mixed[i] = i / 10;
    mixed[h * w + i] = 0.5;
    mixed[2 * h * w + i] = 1 - i / 10;
  }
  const images = new Float32Array([...flat(1, 0, 0, h, w), ...mixed, ...flat(0, 0, 1, h, w)]);
  const grid = imageGrid(images, 3, h, w, { cols: 2, scale: 2, padding: 1, background: 0, channels: 3 });
  assert.equal(grid.channels, 3);
  const img = decodePng(encodePng(grid));
  assert.equal(img.width, 2 * (w * 2) + 3);
  assert.equal(img.height, 2 * (h * 2) + 3);
  // Cell (row 0, col 0) starts at (1, 1): red.
  assert.deepEqual(pixel(img, 1, 1), [255, 0, 0]);
  assert.deepEqual(pixel(img, 6, 4), [255, 0, 0]);
  // Cell (0, 1) starts at x = 1 + 6 + 1 = 8; its pixel (col 2, row 1) is value index 5, drawn 2x2.
  for (const [dx, dy] of [[0, 0], [1, 1]] as const) {
    assert.deepEqual(pixel(img, 8 + 4 + dx, 1 + 2 + dy), [Math.round(0.5 * 255), Math.round(0.5 * 255), Math.round(0.5 * 255)]);
  }
  assert.deepEqual(pixel(img, 8, 1), [0, 128, 255]);
  // Each value is rounded from its float32: 0.1 and 1 - 0.1 as stored.
  assert.deepEqual(pixel(img, 8 + 2, 1), [Math.round(mixed[1]! * 255), 128, Math.round(mixed[2 * h * w + 1]! * 255)]);
  // Cell (1, 0) starts at y = 1 + 4 + 1 = 6: blue. Cell (1, 1) is empty: background black.
  assert.deepEqual(pixel(img, 1, 6), [0, 0, 255]);
  assert.deepEqual(pixel(img, 9, 7), [0, 0, 0]);
  // Padding between cells is background.
  assert.deepEqual(pixel(img, 7, 1), [0, 0, 0]);

  // Bytes, as a dataset holds them, give the same grid as the floats b / 255.
  const bytes = Uint8Array.from(images, (v) => Math.round(v * 255));
  assert.deepEqual(imageGrid(bytes, 3, h, w, { cols: 2, scale: 2, padding: 1, background: 0, channels: 3 }).pixels, grid.pixels);

  // Grey grids stay one channel, and channels other than 1 and 3 are refused.
  assert.equal(imageGrid(new Float32Array(h * w), 1, h, w).channels, 1);
  assert.throws(() => imageGrid(images, 1, h, w, { channels: 2 }), RangeError);
  assert.throws(() => imageGrid(images.subarray(0, 3 * h * w - 1), 1, h, w, { channels: 3 }), RangeError);
  assert.throws(() => imageRows([images.subarray(0, 5)], 1, h, w, { channels: 3 }), RangeError);
});

test('colour reconstructions: originals above reconstructions, colours kept, bytes read as b / 255', () => {
  const shape = { channels: 3, height: 2, width: 2 };
  const dim = 12;
  const originals = new Uint8Array([...Array(dim).fill(0).map((_, i) => (i < 4 ? 200 : 0)), ...Array(dim).fill(0).map((_, i) => (i >= 8 ? 100 : 0))]);
  let seen: Float32Array | undefined;
  // A "model" that swaps red and blue, so the reconstruction row differs from the originals.
  const swap = (x: Tensor): Float32Array => {
    seen = x.data.slice();
    const out = new Float32Array(x.data.length);
    for (let n = 0; n < x.shape[0]!; n++) {
      out.set(x.data.subarray(n * dim + 8, n * dim + 12), n * dim);
      out.set(x.data.subarray(n * dim + 4, n * dim + 8), n * dim + 4);
      out.set(x.data.subarray(n * dim, n * dim + 4), n * dim + 8);
    }
    return out;
  };
  const fig = reconstructionFigure(swap, originals, 2, shape, 1);
  assert.equal(seen![0], Math.fround(200 / 255));
  const img = decodePng(encodePng(fig));
  assert.deepEqual(pixel(img, 2, 2), [200, 0, 0]); // original 0: red
  assert.deepEqual(pixel(img, 6, 2), [0, 0, 100]); // original 1: blue
  assert.deepEqual(pixel(img, 2, 6), [0, 0, 200]); // its reconstruction: blue
  assert.deepEqual(pixel(img, 6, 6), [100, 0, 0]);
});

test('a model\'s image shape follows its input size; displays scale small images up', () => {
  assert.deepEqual(modelImageShape(DEFAULT_VAE_CONFIG), { channels: 1, height: 28, width: 28 });
  assert.deepEqual(modelImageShape({ ...DEFAULT_VAE_CONFIG, inputDim: 3 * 64 * 48, imageHeight: 64, imageWidth: 48, channels: 3 }), { channels: 3, height: 64, width: 48 });
  assert.throws(() => modelImageShape({ ...DEFAULT_VAE_CONFIG, inputDim: 2 * 784 }), RangeError);
  assert.equal(displayScale({ height: 28, width: 28 }), 2);
  assert.equal(displayScale({ height: 64, width: 64 }), 1);
  const spread = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  assert.deepEqual(Array.from(channelMean(spread, 3, 2), (v) => +v.toFixed(6)), [0.3, 0.4]);
  assert.equal(channelMean(spread, 1, 6), spread);
});

/** The first frame of a GIF as RGBA, decoded by Skia. */
async function firstFrame(gif: Uint8Array): Promise<Uint8ClampedArray> {
  const img = await loadImage(Buffer.from(gif));
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, img.width, img.height).data;
}

test('GIF frames of colour images decode to close colours; flat colours and grey levels exactly', async () => {
  // A smooth sweep through hue and brightness (thousands of colours, far more than a palette
  // holds), with a band of flat class colours across the middle.
  const width = 240;
  const height = 120;
  const rgb = new Uint8Array(width * height * 3);
  const flatColours: Array<[number, number, number]> = [[31, 119, 180], [214, 39, 40], [255, 255, 255]];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      if (y >= 50 && y < 70) {
        rgb.set(flatColours[Math.floor((x * 3) / width)]!, o);
        continue;
      }
      const hue = (x / width) * 2 * Math.PI;
      const v = 0.25 + (0.75 * y) / height;
      for (let c = 0; c < 3; c++) rgb[o + c] = Math.round(255 * v * (0.5 + 0.5 * Math.cos(hue - (c * 2 * Math.PI) / 3)));
    }
  }
  const second = rgb.map((v) => 255 - v);
  const gif = encodeGif(width, height, [{ rgb, delay: 10 }, { rgb: second, delay: 10 }]);
  assert.equal(parseGif(gif).frames, 2);
  const got = await firstFrame(gif);
  let total = 0;
  let worst = 0;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const e = Math.abs(got[4 * i + c]! - rgb[3 * i + c]!);
      total += e;
      worst = Math.max(worst, e);
    }
  }
  const mean = total / (3 * width * height);
  // 4.6 and 26 today; a palette of the 256 most used colours was off by 22 on average here, by up to 134.
  assert.ok(mean < 6, `mean error ${mean.toFixed(2)} per channel`);
  assert.ok(worst <= 32, `worst error ${worst}`);
  for (const [k, colour] of flatColours.entries()) {
    const x = Math.floor(((k + 0.5) * width) / 3);
    const o = 4 * (60 * width + x);
    assert.deepEqual([got[o], got[o + 1], got[o + 2]], colour, `flat colour ${k}`);
  }

  // Grey frames whose levels are one per 5-bit bin come back exactly, as before.
  const grey = new Uint8Array(64 * 32 * 3);
  for (let i = 0; i < 64 * 32; i++) grey.fill(8 * (i % 32), 3 * i, 3 * i + 3);
  const greyBack = await firstFrame(encodeGif(64, 32, [{ rgb: grey, delay: 5 }]));
  for (let i = 0; i < 64 * 32; i++) assert.equal(greyBack[4 * i], grey[3 * i], `grey pixel ${i}`);
});

test('median cut splits the colours in use at the mean of the widest box, and averages each box by its pixels', () => {
  const bins = [
    { count: 10, rgb: [0, 0, 0] as [number, number, number] },
    { count: 30, rgb: [10, 0, 0] as [number, number, number] },
    { count: 5, rgb: [200, 100, 0] as [number, number, number] },
    { count: 5, rgb: [220, 120, 0] as [number, number, number] },
  ];
  const two = varianceCut(bins, 2).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(two.map((c) => c.map((v) => +v.toFixed(3))), [[7.5, 0, 0], [210, 110, 0]]);
  assert.equal(varianceCut(bins, 10).length, 4, 'no more boxes than colours');
  assert.deepEqual(varianceCut([], 4), []);
});

test('legends and titles name the classes; "digit" only for digit data', () => {
  const labels = Uint8Array.from([0, 1, 1, 0]);
  const items = classLegend(SHAPES, labels, true).map((i) => i.label);
  assert.deepEqual(items.slice(0, 2), ['blue', 'red']);
  assert.ok(items.every((l) => !/digit/i.test(l)), items.join(', '));
  assert.equal(testCount(20, SHAPES), '20 test images');
  assert.equal(testCount(1, SHAPES), '1 test image');
  assert.equal(testCount(10000, DIGIT_WORDS), '10,000 test digits');
  assert.deepEqual(classLegend(DIGIT_WORDS, labels, false).map((i) => i.label), ['digit 0', 'digit 1', 'digit 2', 'digit 3', 'digit 4', 'digit 5', 'digit 6', 'digit 7', 'digit 8', 'digit 9']);
  // No class names: one collection when every label is 0, else the class numbers.
  assert.deepEqual(classLegend({ classNames: [], noun: 'image' }, new Uint8Array(5), false).map((i) => i.label), ['test images']);
  assert.deepEqual(classLegend({ classNames: [], noun: 'image' }, labels, false).map((i) => i.label), ['class 0', 'class 1']);
  // More classes than colours: the first ten, then how many more.
  const many = classLegend({ classNames: Array.from({ length: 12 }, (_, k) => `c${k}`), noun: 'image' }, labels, false);
  assert.equal(many.length, 11);
  assert.match(many[10]!.label, /\+2 more/);
});

test('the scatter legend shows the class names: its pixels match a render of the names alone', () => {
  const rng = new Random(3);
  const count = 200;
  const mu = rng.fillNormal(new Float32Array(2 * count));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
  const plane = latentPlane(mu, count, 2);
  const named = decodePng(latentScatterFigure(plane, mu, labels, count, false, SHAPES));
  const digits = decodePng(latentScatterFigure(plane, mu, labels, count, false, DIGIT_WORDS));
  const renamed = decodePng(latentScatterFigure(plane, mu, labels, count, false, { classNames: ['green', 'red'], noun: 'image' }));
  // The legend sits right of the plot (x >= 690): the names change its pixels, the plot stays.
  const differ = (a: typeof named, b: typeof named, x0: number, x1: number, y0: number, y1: number): number => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(a, x, y).join() !== pixel(b, x, y).join()) n++;
    return n;
  };
  assert.ok(differ(named, digits, 690, 860, 70, 110) > 50, 'the legend reads the class names, not "digit 0"');
  assert.ok(differ(named, renamed, 690, 860, 70, 90) > 20, 'the first entry says "blue", not "green"');
  assert.equal(differ(named, renamed, 690, 860, 96, 112), 0, 'the second entry says "red" in both');
  assert.equal(differ(named, digits, 90, 670, 70, 650), 0, 'the plot itself is the same');
});

test('a long run takes at most 40 snapshots, spread evenly, the first and the last included', () => {
  // 300 epochs of 2 batches: 305 by the uncapped schedule.
  const steps = snapshotSchedule(600, 2);
  assert.ok(steps.length <= MAX_SNAPSHOTS && steps.length >= MAX_SNAPSHOTS - 2, `${steps.length} snapshots`);
  assert.equal(steps[0], 0);
  assert.equal(steps[steps.length - 1], 600);
  for (let i = 1; i < steps.length; i++) {
    const gap = steps[i]! - steps[i - 1]!;
    assert.ok(gap > 0 && Math.abs(gap - 600 / 39) <= 2, `gap ${gap} between ${steps[i - 1]} and ${steps[i]}`);
    assert.ok(isSnapshotStep(steps[i]!, 2), `step ${steps[i]} is an epoch end`);
  }
  // A short run keeps today's schedule: before training, early in the first epoch, every epoch end.
  const short = snapshotSchedule(10 * 469, 469);
  assert.deepEqual(short, [0, 59, 117, 235, 352, ...Array.from({ length: 10 }, (_, e) => (e + 1) * 469)]);
  // Training by steps that end inside an epoch still ends with a snapshot.
  assert.equal(snapshotSchedule(1000, 469).at(-1), 1000);
  assert.throws(() => snapshotSchedule(-1, 2), RangeError);
});

test('the evolution GIF has at most 40 frames, the first and the last snapshot among them', () => {
  const count = 30;
  const n = 90;
  const rng = new Random(5);
  const record: LatentSnapshots = {
    latent: 2,
    count,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
    batchesPerEpoch: 1,
    snapshots: Array.from({ length: n }, (_, k) => ({ step: k, mu: rng.fillNormal(new Float32Array(2 * count)).map((v) => v * (k / n)), logvar: new Float32Array(2 * count) })),
  };
  const plane = latentPlane(record.snapshots[n - 1]!.mu, count, 2);
  const gif = parseGif(evolutionGif(plane, record, SHAPES));
  assert.equal(gif.frames, MAX_SNAPSHOTS);
  assert.equal(gif.delays.at(-1), 250, 'the last frame is held longer');
  const picks = evenlySpread(n, MAX_SNAPSHOTS);
  assert.equal(picks[0], 0);
  assert.equal(picks.at(-1), n - 1);
});

test('every figure of a colour run is RGB, its report names the classes and never says digit', async () => {
  const { defaultRunConfig } = await import('../src/train/config.js');
  const { createTrainingState } = await import('../src/train/checkpoint.js');
  const { renderRunFigures } = await import('../src/viz/run-figures.js');
  const [C, H, W] = [3, 8, 10];
  const count = 12;
  const pixels = new Uint8Array(count * C * H * W);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
  // Class 1 (red) images are pure red, class 0 (blue) pure blue: image 0 is blue, image 1 red.
  for (let i = 0; i < count; i++) pixels.fill(255, i * C * H * W + (labels[i] === 1 ? 0 : 2) * H * W, i * C * H * W + ((labels[i] === 1 ? 0 : 2) + 1) * H * W);
  const test = { name: 'shapes', pixels, labels, count, channels: C, height: H, width: W, description: SHAPES };
  for (const classes of [0, 2]) {
    const config = defaultRunConfig();
    config.training.dataset = 'folder:shapes';
    config.model = { ...config.model, inputDim: C * H * W, imageHeight: H, imageWidth: W, channels: C, hidden: [16], latent: 2, ...(classes > 0 ? { classes } : {}) };
    config.data = { channels: C, height: H, width: W, classNames: SHAPES.classNames, noun: 'image' };
    const state = createTrainingState(config);
    const drawn = renderRunFigures({ model: state.model, config, epoch: 0, step: 0, test, history: [], snapshots: null, seed: 0 });
    const file = (name: string): Uint8Array => drawn.files.find((f) => f.file === name)!.bytes;
    for (const name of ['reconstructions.png', 'samples.png']) assert.equal(file(name)[25], 2, `${name} is an RGB PNG (colour type 2)`);
    // The originals' row: image 0 (blue) then image 1 (red), each 10 x 8 pixels scaled by 6, after 2 pixels of padding.
    const recon = decodePng(file('reconstructions.png'));
    assert.deepEqual(pixel(recon, 2 + 5, 2 + 5), [0, 0, 255]);
    assert.deepEqual(pixel(recon, 2 + 60 + 2 + 5, 2 + 5), [255, 0, 0]);
    const html = new TextDecoder().decode(file('report.html')).replace(/data:[^"]*"/g, '"');
    assert.doesNotMatch(html, /digit/i);
    assert.match(html, /8\u00d710 colour images, 2 classes: blue, red/);
    assert.match(html, /test images/);
    if (classes > 0) assert.match(html, /y = blue/);
  }
});
