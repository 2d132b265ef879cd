/**
 * The measures of an image against known answers: generated shapes whose slant, stroke width,
 * size, length, area, colour, centre and orientation are known by construction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GLYPH_MEASURES, PICTURE_MEASURES, measureGlyph, measurePicture, measuresFor } from '../src/measure/index.js';
import { box, disc, drawColour, drawGrey, ellipse, shearedBar, stroke } from './support/shapes.js';
import { mnistOnce } from './support/tiny.js';
import { imageFloats } from '../src/data/dataset.js';

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(3)}, expected ${expected} within ${tolerance}`);
}

/** Smallest angle between two directions in degrees (hues wrap at 360). */
function angleBetween(a: number, b: number, period = 360): number {
  const d = (((a - b) % period) + period) % period;
  return Math.min(d, period - d);
}

test('a bar sheared by a known angle has that slant, positive when its top leans right', () => {
  for (const angle of [-20, 0, 15, 30]) {
    for (const [cx, cy] of [
      [14, 14],
      [13.3, 14.6],
    ] as const) {
      const m = measureGlyph(drawGrey(28, 28, shearedBar(cx, cy, 3, 16, angle)), 28, 28);
      near(m.slant_deg, angle, 2, `slant of a bar sheared by ${angle} degrees at (${cx}, ${cy})`);
    }
  }
  // The sign on its own, for a stroke drawn as a hand would: bottom left to top right is slanted right.
  const right = measureGlyph(drawGrey(28, 28, stroke(10, 22, 18, 6, 2.5)), 28, 28);
  const left = measureGlyph(drawGrey(28, 28, stroke(18, 22, 10, 6, 2.5)), 28, 28);
  assert.ok(right.slant_deg > 20, `a stroke rising to the right: slant ${right.slant_deg}`);
  assert.ok(left.slant_deg < -20, `a stroke rising to the left: slant ${left.slant_deg}`);
  near(right.slant_deg, (Math.atan(8 / 16) * 180) / Math.PI, 2, 'slant of a stroke leaning 8 px over 16');
});

test('a stroke of known width has that thickness within half a pixel, whatever its direction and position', () => {
  for (const width of [2, 3, 5]) {
    const strokes = {
      vertical: stroke(14, 6, 14, 22, width),
      horizontal: stroke(6.3, 13.6, 21.3, 13.6, width),
      diagonal: stroke(7, 7, 21, 21, width),
      steep: stroke(11.2, 5, 16.7, 23, width),
    };
    for (const [name, inside] of Object.entries(strokes)) {
      const m = measureGlyph(drawGrey(28, 28, inside), 28, 28);
      near(m.thickness, width, 0.5, `thickness of a ${name} stroke ${width} px wide`);
    }
  }
});

test('boxes of known size have that width and height', () => {
  for (const [left, top, w, h] of [
    [9, 6, 10, 16],
    [10.25, 6.5, 6, 14],
    [4.6, 9.3, 18, 8],
    [12, 4, 4, 20],
  ] as const) {
    const m = measureGlyph(drawGrey(28, 28, box(left, top, w, h)), 28, 28);
    near(m.width, w, 0.5, `width of a ${w}x${h} box`);
    near(m.height, h, 0.5, `height of a ${w}x${h} box`);
  }
  // The box follows the slant: a sheared bar is as wide as the bar, not as its upright bounding box.
  for (const angle of [-20, 15, 30]) {
    const m = measureGlyph(drawGrey(28, 28, shearedBar(14, 14, 4, 16, angle)), 28, 28);
    near(m.width, 4, 0.5, `width of a 4 px bar sheared by ${angle} degrees`);
    near(m.height, 16, 0.5, `height of a 16 px bar sheared by ${angle} degrees`);
  }
});

test('a line of known length has that skeleton length within a pixel and a half', () => {
  for (const [x0, y0, x1, y1] of [
    [14, 6, 14, 22],
    [5, 14.5, 23, 14.5],
    [7, 7, 21, 21],
    [8, 21.5, 19, 5.5],
  ] as const) {
    const length = Math.hypot(x1 - x0, y1 - y0);
    for (const width of [2, 3]) {
      const m = measureGlyph(drawGrey(28, 28, stroke(x0, y0, x1, y1, width)), 28, 28);
      near(m.length, length, 1.5, `length of a ${width} px stroke ${length.toFixed(1)} px long`);
    }
  }
});

test('the area of a filled disc is pi r^2 within 2%', () => {
  for (const [cx, cy, r] of [
    [14, 14, 8],
    [13.4, 14.7, 5],
    [12, 15, 10.5],
  ] as const) {
    const m = measureGlyph(drawGrey(28, 28, disc(cx, cy, r)), 28, 28);
    const area = Math.PI * r * r;
    near(m.area, area, 0.02 * area, `area of a disc of radius ${r}`);
  }
});

test('lengths are in pixels of the image given, for larger images too', () => {
  // 56 x 56 is upscaled 4x like MNIST, 120 x 120 only 2x: the answers stay in the image's own pixels.
  for (const side of [56, 120]) {
    const k = side / 28;
    const m = measureGlyph(drawGrey(side, side, shearedBar(14 * k, 14 * k, 3 * k, 16 * k, 15)), side, side);
    near(m.slant_deg, 15, 2, `slant at ${side}x${side}`);
    near(m.thickness, 3 * k * Math.cos((15 * Math.PI) / 180), 0.5 * k, `thickness at ${side}x${side}`);
    near(m.width, 3 * k, 0.5 * k, `width at ${side}x${side}`);
    near(m.height, 16 * k, 0.5 * k, `height at ${side}x${side}`);
    near(m.area, 3 * 16 * k * k, 0.03 * 48 * k * k, `area at ${side}x${side}`);
  }
  // Not square either.
  const m = measureGlyph(drawGrey(20, 36, box(8, 4, 20, 12)), 20, 36);
  near(m.width, 20, 0.5, 'width in a 20x36 image');
  near(m.height, 12, 0.5, 'height in a 20x36 image');
});

test('the measures do not depend on how bright the ink is: binarizing is at half the range', () => {
  const bright = drawGrey(28, 28, stroke(9.13, 20.27, 19.41, 7.09, 3.1));
  const faint = bright.map((v) => 0.1 + 0.5 * v);
  const a = measureGlyph(bright, 28, 28);
  const b = measureGlyph(faint, 28, 28);
  for (const name of GLYPH_MEASURES) near(b[name], a[name], 1e-3 * Math.max(1, Math.abs(a[name])), name);
});

test('an image without contrast has no glyph: every measure is 0', () => {
  for (const value of [0, 0.4, 1]) {
    const m = measureGlyph(new Float32Array(28 * 28).fill(value), 28, 28);
    for (const name of GLYPH_MEASURES) assert.equal(m[name], 0, `${name} of a uniform ${value} image`);
  }
  assert.throws(() => measureGlyph(new Float32Array(10), 28, 28), /expected 784 values/);
});

test('a pure red, green or blue disc has that hue; saturation and object size follow the disc', () => {
  const expected = { red: 0, green: 120, blue: 240 } as const;
  const colours = { red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1] } as const;
  for (const [name, colour] of Object.entries(colours)) {
    for (const background of [
      [0, 0, 0],
      [1, 1, 1],
    ]) {
      const image = drawColour(32, 32, disc(15, 17, 9), colour, background);
      const m = measurePicture(image, 3, 32, 32);
      assert.ok(angleBetween(m.hue_deg, expected[name as keyof typeof expected]) <= 1, `hue of a ${name} disc: ${m.hue_deg}`);
      const share = (Math.PI * 81) / (32 * 32);
      near(m.object_size, share, 0.02, `object size of a ${name} disc on ${background.join(',')}`);
    }
  }
  // Hue is a circular mean: half a red just below 360 and half a red just above 0 average to red, not cyan.
  const plane = 16 * 16;
  const mixed = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    mixed[p] = 1;
    if (p % 2 === 0) mixed[plane + p] = 0.1; // hue 6 degrees
    else mixed[2 * plane + p] = 0.1; // hue 354 degrees
  }
  assert.ok(angleBetween(measurePicture(mixed, 3, 16, 16).hue_deg, 0) <= 0.5, 'circular mean of hues around red');
});

test('saturation is the mean HSV saturation', () => {
  const plane = 8 * 8;
  const pink = new Float32Array(3 * plane).fill(0.5);
  pink.fill(1, 0, plane);
  near(measurePicture(pink, 3, 8, 8).saturation, 0.5, 1e-6, '(1, 0.5, 0.5) everywhere');
  // Left half pure red, right half black (which has no saturation).
  const half = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) if (p % 8 < 4) half[p] = 1;
  near(measurePicture(half, 3, 8, 8).saturation, 0.5, 1e-6, 'half red, half black');
});

test('brightness is the mean luma; a grey image has no hue or saturation', () => {
  near(measurePicture(new Float32Array(3 * 64).fill(0.3), 3, 8, 8).brightness, 0.3, 1e-6, 'uniform grey');
  const green = new Float32Array(3 * 64);
  green.fill(1, 64, 128);
  near(measurePicture(green, 3, 8, 8).brightness, 0.7152, 1e-6, 'pure green');
  const grey = measurePicture(drawGrey(24, 24, disc(12, 12, 6)), 1, 24, 24);
  assert.equal(grey.hue_deg, 0);
  assert.equal(grey.saturation, 0);
  near(grey.object_size, (Math.PI * 36) / (24 * 24), 0.02, 'object size of a grey disc');
});

test('the centroid is the object centre in pixel indices, on any background', () => {
  for (const [cx, cy] of [
    [10, 20],
    [21.5, 9.25],
  ] as const) {
    for (const background of [
      [0, 0, 0],
      [0.9, 0.85, 0.7],
    ]) {
      const m = measurePicture(drawColour(32, 40, disc(cx, cy, 5), [0.1, 0.3, 0.9], background), 3, 32, 40);
      // Pixel j covers [j, j+1], so a centre at x sits at index x - 0.5; the mask's whole pixels cost a little precision.
      near(m.centroid_x, cx - 0.5, 0.25, `centroid x of a disc at ${cx}`);
      near(m.centroid_y, cy - 0.5, 0.25, `centroid y of a disc at ${cy}`);
    }
  }
  const empty = measurePicture(new Float32Array(3 * 30 * 20).fill(0.5), 3, 30, 20);
  assert.deepEqual([empty.object_size, empty.centroid_x, empty.centroid_y, empty.orientation_deg], [0, 9.5, 14.5, 0]);
});

test("an ellipse's orientation is its long axis, counter-clockwise from horizontal as seen", () => {
  for (const angle of [0, 30, 60, 90, -45, -80]) {
    const m = measurePicture(drawColour(40, 40, ellipse(20, 20, 14, 5, angle), [1, 0.5, 0], [0, 0, 0]), 3, 40, 40);
    assert.ok(angleBetween(m.orientation_deg, angle, 180) <= 2, `orientation of an ellipse at ${angle}: ${m.orientation_deg}`);
    assert.ok(m.orientation_deg > -90 && m.orientation_deg <= 90, `range: ${m.orientation_deg}`);
  }
  assert.equal(measurePicture(drawColour(40, 40, disc(20, 20, 10), [1, 1, 0], [0, 0, 0]), 3, 40, 40).orientation_deg, 0);
});

test('measuresFor picks glyph measures for grey data and digits, picture measures for colour images', () => {
  assert.deepEqual(measuresFor({ channels: 1, description: { noun: 'image' } }).names, GLYPH_MEASURES);
  assert.deepEqual(measuresFor({ channels: 1, description: { noun: 'digit' } }).names, GLYPH_MEASURES);
  assert.deepEqual(measuresFor({ channels: 3, description: { noun: 'image' } }).names, PICTURE_MEASURES);
  // A colour digit is measured on its luma: a white stroke on black measures as the grey one.
  const digits = measuresFor({ channels: 3, description: { noun: 'digit' } });
  assert.deepEqual(digits.names, GLYPH_MEASURES);
  const inside = shearedBar(14, 14, 3, 16, 20);
  const fromColour = digits.measure(drawColour(28, 28, inside, [1, 1, 1], [0, 0, 0]), 3, 28, 28);
  const fromGrey = measureGlyph(drawGrey(28, 28, inside), 28, 28);
  for (const name of GLYPH_MEASURES) near(fromColour[name]!, fromGrey[name], 1e-3 * Math.max(1, Math.abs(fromGrey[name])), name);
  const pictures = measuresFor({ channels: 3, description: { noun: 'image' } });
  const red = pictures.measure(drawColour(28, 28, disc(14, 14, 6), [1, 0, 0], [0, 0, 0]), 3, 28, 28);
  assert.deepEqual(Object.keys(red), [...PICTURE_MEASURES]);
});

/**
 * Area and slant (radians) of the first ten MNIST test digits in the table Morpho-MNIST
 * publishes with the paper (t10k-morpho.csv of its "plain MNIST" morphometrics).
 */
const MORPHO_MNIST_T10K = [
  [71.1875, 0.07096856779614502],
  [113.0625, -0.17388570430491587],
  [39.25, 0.29039224236798405],
  [146.8125, 0.07237366221274569],
  [75.25, -0.12877413428505516],
  [53.8125, 0.2959885109996295],
  [83.125, -0.08664076749667515],
  [83.5, -0.5161843238503535],
  [121.125, 0.2641419325456905],
  [125.375, 0.29025117065901984],
] as const;

test("MNIST digits get the paper's own area and slant, in degrees with the paper's sign", () => {
  const test = mnistOnce().test;
  MORPHO_MNIST_T10K.forEach(([area, slantRad], i) => {
    const m = measureGlyph(imageFloats(test, i), test.height, test.width);
    near(m.area, area, 0.03 * area, `area of test digit ${i}`);
    near(m.slant_deg, (slantRad * 180) / Math.PI, 0.25, `slant of test digit ${i}`);
  });
});
