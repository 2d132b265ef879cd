/**
 * A dSprites-like dataset drawn in code (dSprites: Matthey, Higgins, Hassabis and Lerchner
 * 2017, github.com/deepmind/dsprites-dataset): 64 x 64 binary images of one white shape on
 * black, on dSprites' grid of five independent factors
 *   shape        3   square, ellipse, heart
 *   scale        6   linearly spaced in [0.5, 1]
 *   orientation 40   i * 2 pi / 40, in [0, 2 pi)
 *   position x  32   linearly spaced in [0, 1]
 *   position y  32   linearly spaced in [0, 1]
 * 737,280 images in all. An image is rendered from its factor indices on demand; a dataset
 * split renders only the images it holds, a seeded sample of the grid, so the whole grid is
 * never in memory. The shapes are drawn from their definitions here (not copied from the
 * dSprites files): a square, an ellipse with axes 2:1 and the heart curve
 * (x^2 + y^2 - 1)^3 = x^2 y^3; each at most 24 px across at scale 1, so with the centre in
 * [13, 51] px they stay inside the frame at every orientation.
 */
import { UserError } from '../errors.js';
import { Random } from '../engine/random.js';
import type { DataSplits, ImageDataset } from './dataset.js';
import type { GroundTruthData } from '../measure/disentanglement.js';

export const DSPRITES_SIDE = 64;
export const DSPRITES_SHAPES = ['square', 'ellipse', 'heart'] as const;
/** The factors in dSprites' order (its npz's latents_classes without the constant colour). */
export const DSPRITES_FACTORS = ['shape', 'scale', 'orientation', 'posx', 'posy'] as const;
export type DspritesFactor = (typeof DSPRITES_FACTORS)[number];
/** How many values each factor takes, in DSPRITES_FACTORS order. */
export const DSPRITES_FACTOR_SIZES: readonly number[] = [3, 6, 40, 32, 32];
export const DSPRITES_COUNT = DSPRITES_FACTOR_SIZES.reduce((p, n) => p * n, 1);

/** One image's factor indices, in DSPRITES_FACTORS order: [shape, scale, orientation, posx, posy]. */
export type DspritesFactorIndices = readonly [number, number, number, number, number];

/** The value a factor index stands for: scale in [0.5, 1], orientation in radians, positions in [0, 1]; the shape's index itself. */
export function factorValue(factor: DspritesFactor, index: number): number {
  switch (factor) {
    case 'shape':
      return index;
    case 'scale':
      return 0.5 + (0.5 * index) / 5;
    case 'orientation':
      return (2 * Math.PI * index) / 40;
    case 'posx':
    case 'posy':
      return index / 31;
  }
}

function checkFactors(f: ArrayLike<number>): void {
  if (f.length !== 5) throw new RangeError(`dsprites factors are 5 indices, got ${f.length}`);
  for (let k = 0; k < 5; k++) {
    const v = f[k]!;
    if (!Number.isInteger(v) || v < 0 || v >= DSPRITES_FACTOR_SIZES[k]!) {
      throw new RangeError(`dsprites ${DSPRITES_FACTORS[k]} index must be an integer in [0, ${DSPRITES_FACTOR_SIZES[k]! - 1}], got ${v}`);
    }
  }
}

/** Position on the grid, shape slowest and posy fastest (dSprites' own order). */
export function gridIndex(f: ArrayLike<number>): number {
  checkFactors(f);
  let i = 0;
  for (let k = 0; k < 5; k++) i = i * DSPRITES_FACTOR_SIZES[k]! + f[k]!;
  return i;
}

export function factorsOfGridIndex(index: number): DspritesFactorIndices {
  if (!Number.isInteger(index) || index < 0 || index >= DSPRITES_COUNT) throw new RangeError(`dsprites grid index must be in [0, ${DSPRITES_COUNT}), got ${index}`);
  const f = [0, 0, 0, 0, 0];
  for (let k = 4; k >= 0; k--) {
    f[k] = index % DSPRITES_FACTOR_SIZES[k]!;
    index = Math.floor(index / DSPRITES_FACTOR_SIZES[k]!);
  }
  return f as unknown as DspritesFactorIndices;
}

/** Half the square's side at scale 1, in pixels: its diagonal (24 px) is the widest of the shapes. */
const SQUARE_HALF = 8.5;
/** The ellipse's half axes at scale 1. */
const ELLIPSE_A = 11.5;
const ELLIPSE_B = 5.75;
/** Pixels per unit of the heart curve at scale 1; the curve spans x in [-1.14, 1.14], y in [-1, 1.25]. */
const HEART_UNIT = 9.2;
/** Centres span [13, 51] px, so the widest shape (radius 12 px) stays inside the 64 px frame. */
const CENTRE_LOW = 13;
const CENTRE_SPAN = 38;

/** Whether shape-frame point (u, v), in pixels at scale 1 with v pointing up, is inside the shape. */
function inside(shape: number, u: number, v: number): boolean {
  if (shape === 0) return Math.abs(u) <= SQUARE_HALF && Math.abs(v) <= SQUARE_HALF;
  if (shape === 1) return (u / ELLIPSE_A) ** 2 + (v / ELLIPSE_B) ** 2 <= 1;
  // The heart's box is centred on the origin: its curve runs from y = -1 (the point) to y = 1.25.
  const x = u / HEART_UNIT;
  const y = v / HEART_UNIT + 0.125;
  const r = x * x + y * y - 1;
  return r * r * r - x * x * y * y * y <= 0;
}

/**
 * The image of one point of the grid: 64 x 64 bytes, row-major, 255 inside the shape and 0
 * outside (a pixel is inside when its centre is). Written into `out` at `offset` when given.
 * Orientation turns the shape counter-clockwise as seen on screen; x runs right, y down.
 */
export function render(f: ArrayLike<number>, out?: Uint8Array, offset = 0): Uint8Array {
  checkFactors(f);
  const side = DSPRITES_SIDE;
  const image = out ?? new Uint8Array(side * side);
  if (image.length < offset + side * side) throw new RangeError('render: the output holds no room for a 64x64 image');
  image.fill(0, offset, offset + side * side);
  const shape = f[0]!;
  const scale = factorValue('scale', f[1]!);
  const angle = factorValue('orientation', f[2]!);
  const cx = CENTRE_LOW + CENTRE_SPAN * factorValue('posx', f[3]!);
  const cy = CENTRE_LOW + CENTRE_SPAN * factorValue('posy', f[4]!);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const reach = 12.5 * scale + 1;
  const r0 = Math.max(0, Math.floor(cy - reach));
  const r1 = Math.min(side - 1, Math.ceil(cy + reach));
  const c0 = Math.max(0, Math.floor(cx - reach));
  const c1 = Math.min(side - 1, Math.ceil(cx + reach));
  for (let r = r0; r <= r1; r++) {
    // Screen y points down; the shape's frame has v up.
    const y = -(r + 0.5 - cy) / scale;
    for (let c = c0; c <= c1; c++) {
      const x = (c + 0.5 - cx) / scale;
      // Rotating the point by -angle is rotating the shape by +angle.
      const u = cos * x + sin * y;
      const v = -sin * x + cos * y;
      if (inside(shape, u, v)) image[offset + r * side + c] = 255;
    }
  }
  return image;
}

/** Seed of the fixed shuffle of the grid that the splits are cut from. */
const SPLIT_SEED = 20170101;
/** The test split is the first tenth of the shuffled grid, the training split the rest. */
export const DSPRITES_TEST_POOL = DSPRITES_COUNT / 10;
export const DSPRITES_TRAIN_POOL = DSPRITES_COUNT - DSPRITES_TEST_POOL;
/** Images a split holds unless asked for another number. */
export const DSPRITES_DEFAULT_TRAIN = 100_000;
export const DSPRITES_DEFAULT_TEST = 10_000;

let shuffled: Uint32Array | null = null;

function shuffledGrid(): Uint32Array {
  shuffled ??= new Random(SPLIT_SEED).permutation(DSPRITES_COUNT);
  return shuffled;
}

/**
 * The grid indices of a split's first `count` images. The splits are disjoint and fixed
 * (the same for every run and seed), and a smaller split is the start of a larger one.
 */
export function dspritesGridIndices(split: 'train' | 'test', count: number): Uint32Array {
  const pool = split === 'test' ? DSPRITES_TEST_POOL : DSPRITES_TRAIN_POOL;
  if (!Number.isInteger(count) || count < 0 || count > pool) throw new RangeError(`dsprites has ${pool} ${split} images, asked for ${count}`);
  const start = split === 'test' ? 0 : DSPRITES_TEST_POOL;
  return shuffledGrid().subarray(start, start + count);
}

/**
 * The factor indices of image `index` of a dsprites split, in DSPRITES_FACTORS order: what
 * `vae encode` writes as factor_shape, factor_scale, factor_orientation, factor_posx and
 * factor_posy. Image i of a loaded split is image i here, whatever the split's size.
 */
export function dspritesFactors(split: 'train' | 'test', index: number): DspritesFactorIndices {
  return factorsOfGridIndex(dspritesGridIndices(split, index + 1)[index]!);
}

/** Renders the images at `indices` of the grid into one byte array, image after image. */
export function renderMany(indices: ArrayLike<number>): Uint8Array {
  const per = DSPRITES_SIDE * DSPRITES_SIDE;
  const pixels = new Uint8Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) render(factorsOfGridIndex(indices[i]!), pixels, i * per);
  return pixels;
}

/** The grid indices of every rendered split, by its pixel buffer: views of a split (subsets) find them too. */
const gridOfPixels = new WeakMap<ArrayBufferLike, Uint32Array>();

/** Column names of the factors beside an image's codes (`vae encode`), in DSPRITES_FACTORS order. */
export const DSPRITES_FACTOR_COLUMNS: readonly string[] = DSPRITES_FACTORS.map((f) => `factor_${f}`);

/**
 * For a loaded dsprites split (or a subset of one), each image's factor indices in
 * DSPRITES_FACTORS order; null for any other dataset. What `vae encode` writes beside the codes.
 */
export function dspritesFactorsOf(ds: ImageDataset): ((index: number) => DspritesFactorIndices) | null {
  const grid = gridOfPixels.get(ds.pixels.buffer);
  if (grid === undefined) return null;
  const first = ds.pixels.byteOffset / (DSPRITES_SIDE * DSPRITES_SIDE);
  return (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= ds.count) throw new RangeError(`image index ${index} is outside 0..${ds.count - 1}`);
    return factorsOfGridIndex(grid[first + index]!);
  };
}

function renderSplit(split: 'train' | 'test', count: number): ImageDataset {
  const indices = dspritesGridIndices(split, count);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = factorsOfGridIndex(indices[i]!)[0];
  const pixels = renderMany(indices);
  gridOfPixels.set(pixels.buffer, indices);
  return {
    name: 'dsprites',
    pixels,
    labels,
    count,
    channels: 1,
    height: DSPRITES_SIDE,
    width: DSPRITES_SIDE,
    description: { classNames: [...DSPRITES_SHAPES], noun: 'image' },
  };
}

export interface DspritesOptions {
  /** Training images to render (default 100,000, at most 663,552). */
  trainSize?: number;
  /** Test images to render (default 10,000, at most 73,728). */
  testSize?: number;
}

/** The dsprites splits, rendered now; the label of an image is its shape (see DSPRITES_SHAPES). */
export function loadDsprites(options: DspritesOptions = {}): DataSplits {
  const trainSize = options.trainSize ?? DSPRITES_DEFAULT_TRAIN;
  const testSize = options.testSize ?? DSPRITES_DEFAULT_TEST;
  if (trainSize > DSPRITES_TRAIN_POOL) throw new UserError(`dsprites has ${DSPRITES_TRAIN_POOL} training images; --train-size ${trainSize} is more`);
  if (testSize > DSPRITES_TEST_POOL) throw new UserError(`dsprites has ${DSPRITES_TEST_POOL} test images; --test-size ${testSize} is more`);
  return { name: 'dsprites', train: renderSplit('train', trainSize), test: renderSplit('test', testSize) };
}

const scratch = new Uint8Array(DSPRITES_SIDE * DSPRITES_SIDE);

/** The whole grid as ground truth for disentanglement scores: any factors, rendered as pixels in [0, 1]. */
export const DSPRITES_GROUND_TRUTH: GroundTruthData = {
  factorNames: DSPRITES_FACTORS,
  factorSizes: DSPRITES_FACTOR_SIZES,
  valuesPerObservation: DSPRITES_SIDE * DSPRITES_SIDE,
  renderInto(factors, out, offset) {
    render(factors, scratch, 0);
    for (let i = 0; i < scratch.length; i++) out[offset + i] = scratch[i]! === 0 ? 0 : 1;
  },
};
