/**
 * The factor table of a model with more latent dimensions than test images: no dimension is
 * named, and the table and report say why and what gives enough images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FactorsFile } from '../src/train/factors.js';
import { factorsTableText, tooFewImages } from '../src/viz/factors-report.js';

function file(latent: number, testImages: number): FactorsFile {
  return {
    dimensions: Array.from({ length: latent }, (_, dim) => ({ dim, kl: 1, active: true, factor: null, r: null, slope: null, slopeUnits: null, monotonic: null, confirmed: null, partial: { brightness: 0 } })),
    measures: ['brightness'],
    directions: { brightness: { vector: new Array<number>(latent).fill(0), r: 0, units: 'intensity (0 to 1)' } },
    withinClass: null,
    testImages,
  };
}

test('20 test images for 20 latent dimensions: the table says there are too few and how to get more', () => {
  const text = factorsTableText(file(20, 20));
  assert.match(text, /Too few test images to name the factors: partial correlations over 20 latent dimensions need at least 22, and there are 20/);
  assert.match(text, /--test-fraction/);
});

test('enough test images: no such note', () => {
  assert.equal(tooFewImages(file(20, 22)), '');
  assert.doesNotMatch(factorsTableText(file(2, 500)), /Too few/);
});
