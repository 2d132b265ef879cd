/**
 * The factor analysis on a model whose answer is known because it is built by hand: its
 * encoder reads a bar's shear from the image's second moment into z1 (z2 stays at the prior),
 * and its decoder draws a bar sheared by 12 degrees per unit of z1. `vae factors` must name z1
 * slant, with the traversal slope near 12 degrees per sigma, monotonic and confirmed, and z2
 * inactive. A decoder that shears the other way is not confirmed. Also: the monotonicity test
 * of a traversal, and the figures' sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/random.js';
import { VAE } from '../src/vae/model.js';
import type { MlpDecoder, MlpEncoder } from '../src/vae/networks.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { GLYPH_MEASURES, measureGlyph } from '../src/measure/glyph.js';
import { TRAVERSAL_SIGMAS, analyzeFactors, isMonotonic, leastSquaresSlope, type MeasureSet } from '../src/train/factors.js';
import { renderFactorFiles, SCATTER_MEASURES, TRAVERSALS_FILE } from '../src/viz/factors-report.js';
import { drawGrey, shearedBar } from './support/shapes.js';
import { decodePng } from './viz-helpers.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Decoder knots along z1: the decoder draws the template of each knot there and blends between them. */
const KNOTS = Array.from({ length: 17 }, (_, i) => -4 + i * 0.5);
const DEGREES_PER_UNIT = 12;

const GLYPHS: MeasureSet = { names: GLYPH_MEASURES, measure: (image, _channels, h, w) => measureGlyph(image, h, w) };

/** Bars of random slant (uniform in [-35, 35] degrees) and stroke width (2 to 4.5 px), centred. */
function bars(count: number, seed: number): { data: ImageDataset; slant: number[] } {
  const rng = new Random(seed);
  const images = new Float32Array(count * PIXELS);
  const slant: number[] = [];
  for (let i = 0; i < count; i++) {
    const angle = -35 + 70 * rng.uniform();
    slant.push(angle);
    images.set(drawGrey(SIDE, SIDE, shearedBar(14, 14, 2 + 2.5 * rng.uniform(), 18, angle), 4), i * PIXELS);
  }
  // Both layouts of a dataset: float images, and 8-bit pixels with their channels and description.
  const pixels = Uint8Array.from(images, (v) => Math.round(v * 255));
  const description = { classNames: [], noun: 'image' };
  const data = { name: 'bars', images, pixels, channels: 1, description, labels: new Uint8Array(count), count, height: SIDE, width: SIDE } as unknown as ImageDataset;
  return { data, slant };
}

/** -sum x (c - 14)(r - 14) over the image: grows as the top leans right (y points down). */
function shearFeature(image: Float32Array): number {
  let s = 0;
  for (let r = 0; r < SIDE; r++) for (let c = 0; c < SIDE; c++) s -= image[r * SIDE + c]! * (c + 0.5 - 14) * (r + 0.5 - 14);
  return s;
}

/**
 * The hand-built model. Encoder: hidden units relu(s) and relu(-s) of the shear feature s
 * (scaled to unit spread on `calibration`), mu1 = their difference, mu2 = 0, logvar1 = log 0.1,
 * logvar2 = 0. Decoder: hidden unit i = relu(z1 - knot_i), whose output weights make the logits
 * the piecewise-linear interpolation of bar templates sheared by `degreesPerUnit` * knot.
 */
function handBuiltModel(calibration: ImageDataset, degreesPerUnit: number): VAE {
  const K = KNOTS.length;
  const model = new VAE({ inputDim: PIXELS, imageHeight: SIDE, imageWidth: SIDE, hidden: [K], latent: 2, likelihood: 'bernoulli' }, new Random(1));
  const encoder = model.encoder as MlpEncoder;
  const decoder = model.decoder as MlpDecoder;
  for (const [, t] of model.parameters()) t.data.fill(0);

  const images = (calibration as unknown as { images: Float32Array }).images;
  // Calibrated on the images as the encoder will see them: 8-bit where the dataset holds bytes.
  for (let i = 0; i < images.length; i++) images[i] = Math.round(images[i]! * 255) / 255;
  const features = Array.from({ length: calibration.count }, (_, i) => shearFeature(images.subarray(i * PIXELS, (i + 1) * PIXELS)));
  const mean = features.reduce((a, b) => a + b, 0) / features.length;
  const sd = Math.sqrt(features.reduce((a, b) => a + (b - mean) ** 2, 0) / features.length);
  const first = encoder.layers[0]!;
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      const w = (-(c + 0.5 - 14) * (r + 0.5 - 14)) / sd;
      first.weight.data[0 * PIXELS + r * SIDE + c] = w;
      first.weight.data[1 * PIXELS + r * SIDE + c] = -w;
    }
  }
  first.bias.data[0] = -mean / sd;
  first.bias.data[1] = mean / sd;
  encoder.mu.weight.data[0 * K + 0] = 1;
  encoder.mu.weight.data[0 * K + 1] = -1;
  encoder.logvar.bias.data[0] = Math.log(0.1);

  const hidden = decoder.layers[0]!;
  KNOTS.forEach((knot, i) => {
    hidden.weight.data[i * 2 + 0] = 1;
    hidden.bias.data[i] = -knot;
  });
  const logit = (p: number): number => 8 * (2 * p - 1);
  const templates = KNOTS.map((knot) => drawGrey(SIDE, SIDE, shearedBar(14, 14, 3, 18, degreesPerUnit * knot), 4).map(logit));
  const h = KNOTS[1]! - KNOTS[0]!;
  const slopes = templates.slice(0, -1).map((t, i) => t.map((v, p) => (templates[i + 1]![p]! - v) / h));
  for (let p = 0; p < PIXELS; p++) {
    decoder.out.bias.data[p] = templates[0]![p]!;
    for (let i = 0; i < K; i++) {
      const before = i === 0 ? 0 : slopes[i - 1]![p]!;
      const after = i < K - 1 ? slopes[i]![p]! : 0;
      decoder.out.weight.data[p * K + i] = after - before;
    }
  }
  return model;
}

test('the hand-built model: z1 is named slant, the decoded traversal leans about 12 degrees per sigma, z2 is inactive', () => {
  const { data, slant } = bars(240, 4);
  const model = handBuiltModel(data, DEGREES_PER_UNIT);
  const analysis = analyzeFactors(model, data, GLYPHS);
  const [z1, z2] = analysis.file.dimensions;

  // The measure of the test images follows the slant they were drawn with (the measures' own tests check this closely).
  const measured = analysis.measured.slant_deg!;
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(measured[i]! - slant[i]!) < 3, `image ${i}: drawn at ${slant[i]}, measured ${measured[i]}`);

  assert.equal(z1!.active, true);
  assert.equal(z1!.factor, 'slant_deg', JSON.stringify(z1!.partial));
  assert.ok(z1!.r! > 0.9, `r = ${z1!.r}`);
  // sigma is the spread of mu1, which the encoder scales to 1: the decoder turns 12 degrees per unit.
  const sigma = analysis.traversals[0]!.sigma;
  assert.ok(Math.abs(sigma - 1) < 0.05, `sigma ${sigma}`);
  assert.ok(Math.abs(z1!.slope! - DEGREES_PER_UNIT * sigma) < 2.5, `slope ${z1!.slope} degrees per sigma`);
  assert.equal(z1!.slopeUnits, 'degrees per sigma');
  assert.equal(z1!.monotonic, true);
  assert.equal(z1!.confirmed, true);
  // KL of dimension 1: 0.5 (E[mu^2] + 0.1 - 1 - log 0.1); mu has mean 0 and spread 1 over these images.
  assert.ok(Math.abs(z1!.kl - 0.5 * (1 + 0.1 - 1 - Math.log(0.1))) < 0.05, `kl ${z1!.kl}`);

  assert.equal(z2!.active, false);
  assert.equal(z2!.kl, 0);
  assert.equal(z2!.factor, null);
  assert.equal(z2!.slope, null);
  const direction = analysis.file.directions.slant_deg!;
  assert.ok(direction.vector[0]! > 0.999 && direction.r > 0.9, JSON.stringify(direction));
  assert.equal(direction.units, 'degrees');
  assert.equal(analysis.file.testImages, 240);
  assert.deepEqual(analysis.file.measures, [...GLYPH_MEASURES]);
  assert.equal(analysis.file.withinClass, null, 'one class: nothing to fit within classes');

  // The traversal's decoded images lean as the decoder was built to: measured slant near 12 * t at t sigma.
  const values = analysis.traversals[0]!.values.slant_deg!;
  let centre = 0;
  for (let i = 0; i < data.count; i++) centre += analysis.mu[2 * i]! / data.count;
  TRAVERSAL_SIGMAS.forEach((t, i) => {
    const expected = DEGREES_PER_UNIT * (centre + t * sigma);
    assert.ok(Math.abs(values[i]! - expected) < 4, `at ${t} sigma: ${values[i]} against ${expected}`);
  });
});

test('within classes: split the bars into left- and right-leaning classes, and the codes still predict slant within each', () => {
  const { data, slant } = bars(240, 4);
  const model = handBuiltModel(data, DEGREES_PER_UNIT);
  const labelled = { ...data, labels: Uint8Array.from(slant, (a) => (a > 0 ? 1 : 0)) };
  const within = analyzeFactors(model, labelled, GLYPHS).file.withinClass!;
  assert.equal(within.slant_deg!.classes, 2);
  // Half the range of slant in each class, still read linearly from z1.
  assert.ok(within.slant_deg!.r > 0.8, `${within.slant_deg!.r}`);
  // Three classes, one of them too small to fit: it is left out.
  const three = { ...data, labels: Uint8Array.from(slant, (a, i) => (i < 10 ? 2 : a > 0 ? 1 : 0)) };
  assert.equal(analyzeFactors(model, three, GLYPHS).file.withinClass!.slant_deg!.classes, 2);
});

test('a decoder that shears against the encoder is found out: the slope turns negative and z1 is not confirmed', () => {
  const { data } = bars(240, 4);
  const analysis = analyzeFactors(handBuiltModel(data, -DEGREES_PER_UNIT), data, GLYPHS);
  const z1 = analysis.file.dimensions[0]!;
  assert.equal(z1.factor, 'slant_deg');
  assert.ok(z1.r! > 0.9);
  assert.ok(z1.slope! < -8, `slope ${z1.slope}`);
  assert.equal(z1.monotonic, true);
  assert.equal(z1.confirmed, false);
});

test('the figures: one traversal row per active dimension, and the three measure scatters of a 2-D model', () => {
  const { data } = bars(120, 8);
  const analysis = analyzeFactors(handBuiltModel(data, DEGREES_PER_UNIT), data, GLYPHS);
  const files = renderFactorFiles(analysis, { channels: 1, height: SIDE, width: SIDE, noun: 'image' });
  assert.deepEqual(files.figures.map((f) => f.file), [TRAVERSALS_FILE, ...SCATTER_MEASURES.map(([, file]) => file)]);
  const traversals = decodePng(Buffer.from(files.figures[0]!.bytes));
  // One active row: the title block, one row of 56-pixel images, the margin.
  assert.ok(traversals.height < 100 + 2 * (56 + 14) + 30, `${traversals.width}x${traversals.height}`);
  assert.ok(traversals.width >= TRAVERSAL_SIGMAS.length * 56);
  assert.ok(traversals.variance > 50);
  for (const f of files.figures.slice(1)) {
    const img = decodePng(Buffer.from(f.bytes));
    assert.deepEqual([img.width, img.height], [860, 740], f.file);
  }
  const json = JSON.parse(files.json) as { dimensions: Array<{ dim: number; factor: string | null }>; directions: Record<string, { vector: number[] }> };
  assert.deepEqual(json.dimensions.map((d) => [d.dim, d.factor]), [[0, 'slant_deg'], [1, null]]);
  assert.equal(json.directions.slant_deg!.vector.length, 2);
  assert.match(files.html, /<h2>Hidden factors<\/h2>/);
  assert.match(files.html, /slant/);
});

test('a traversal is monotonic when it never falls back from its furthest point by more than 5% of its range', () => {
  assert.equal(isMonotonic([0, 1, 2, 3], 1), true);
  assert.equal(isMonotonic([3, 2, 1, 0], -1), true);
  assert.equal(isMonotonic([3, 2, 1, 0], 1), false);
  assert.equal(isMonotonic([0, 1, 0.96, 2, 3], 1), true, 'a dip of 1.3% of the range');
  assert.equal(isMonotonic([0, 2, 1, 3], 1), false, 'a dip of a third of the range');
  // Small steps back add up: each is 4% of the range, together 16%.
  assert.equal(isMonotonic([0, 10, 9.6, 9.2, 8.8, 8.4], 1), false);
  assert.equal(isMonotonic([1, 1, 1], 1), false, 'flat: no factor at all');
  assert.equal(isMonotonic([0, NaN, 2], 1), false);
  assert.equal(isMonotonic([0, 1, 2], 0), false);
  assert.ok(Math.abs(leastSquaresSlope([-1, 0, 1, 2], [1, 3, 5, 7]) - 2) < 1e-12);
  assert.ok(Math.abs(leastSquaresSlope([-1, 0, 1, 2], [1, NaN, 5, 7]) - 2) < 1e-12);
});
