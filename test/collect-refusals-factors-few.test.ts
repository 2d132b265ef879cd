/**
 * Two things a user of a small collection met: a drawing of too many pixels was refused as "a
 * damaged PNG", and a run with fewer test images than its latent dimensions need printed and
 * reported R = 0.00 for every measure, as if measured and unrelated, where nothing was fitted;
 * and the run header of such a run did not say that vae factors would name nothing.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { parseFlagsGiven } from '../src/cli/args.js';
import { serveCommand } from '../src/cli/serve.js';
import { planNewRun } from '../src/run/plan.js';
import { TRAIN_SETTINGS } from '../src/run/settings.js';
import { OWN_SIZE_LIMITS } from '../src/data/folder.js';
import { crc32 } from '../src/io/crc32.js';
import { MAX_DRAWING_PIXELS, SubmissionRefused, sampleFromPng } from '../src/collect/submission.js';
import { factorsSectionHtml, factorsTableText, measuresTableText } from '../src/viz/factors-report.js';
import type { FactorsFile } from '../src/train/factors.js';
import { traversalLegend } from '../src/viz/factor-figures.js';
import { writeHelloFolder } from './support/hello-strokes.js';
import { tempRoot } from './support/tiny.js';

/** A valid 1x1 grey PNG whose IHDR then says `width` x `height` (CRC recomputed), as a small file can claim a huge image. */
function pngDeclaring(width: number, height: number): Buffer {
  const png = new PNG({ width: 1, height: 1 });
  png.data.fill(255);
  const bytes = Buffer.from(PNG.sync.write(png, { colorType: 0 }));
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
  return bytes;
}

function refusal(bytes: Uint8Array): SubmissionRefused {
  try {
    sampleFromPng(bytes);
  } catch (err) {
    if (err instanceof SubmissionRefused) return err;
    throw err;
  }
  assert.fail('the submission was stored');
}

test('a drawing of more than 1 megapixel is refused as too large, not as damaged', () => {
  const side = Math.ceil(Math.sqrt(MAX_DRAWING_PIXELS)) + 1;
  const r = refusal(pngDeclaring(side, side));
  assert.equal(r.status, 400);
  assert.doesNotMatch(r.message, /damaged/);
  assert.match(r.message, new RegExp(`^the drawing is ${side}x${side}, more than 1 megapixel$`));
  const wide = refusal(pngDeclaring(5000, 10));
  assert.equal(wide.message, 'the drawing is 5000x10; at most 4096 pixels a side');
});

test('a truly damaged PNG is still called damaged', () => {
  const bytes = pngDeclaring(100, 100);
  // The header says 100x100; the data hold one pixel.
  assert.match(refusal(bytes).message, /^a damaged PNG: /);
});

function factorsFile(testImages: number, r: number): FactorsFile {
  const dims = 4;
  return {
    dimensions: Array.from({ length: dims }, (_, dim) => ({
      dim,
      kl: 1 + dim,
      active: true,
      factor: null,
      r: null,
      slope: null,
      slopeUnits: null,
      monotonic: null,
      confirmed: null,
      partial: { slant_deg: 0, thickness: 0 },
    })),
    measures: ['slant_deg', 'thickness'],
    directions: {
      slant_deg: { vector: r === 0 ? [0, 0, 0, 0] : [1, 0, 0, 0], r, units: 'degrees' },
      thickness: { vector: r === 0 ? [0, 0, 0, 0] : [0, 1, 0, 0], r, units: 'pixels' },
    },
    withinClass: null,
    testImages,
  };
}

test('too few test images for the latent dimensions: no R is printed or reported, and the note says why', () => {
  // 4 latent dimensions need 6 test images; 5 give no fit at all.
  const few = factorsFile(5, 0);
  const table = measuresTableText(few);
  assert.doesNotMatch(table, /0\.00/);
  assert.match(table, /^slant_deg\s+-$/m);
  assert.match(factorsTableText(few), /Too few test images to name the factors/);
  const html = factorsSectionHtml(few, []);
  assert.doesNotMatch(html, /0\.00/);
  assert.match(html, /<td class="num">\u2013<\/td>/);
});

test('enough test images: R is printed, a measured 0.00 included', () => {
  const enough = factorsFile(6, 0.42);
  assert.match(measuresTableText(enough), /^slant_deg\s+0\.42$/m);
  assert.match(measuresTableText(factorsFile(6, 0)), /^slant_deg\s+0\.00$/m);
  assert.match(factorsSectionHtml(enough, []), /<td class="num">0\.42<\/td>/);
});

describe('the run header of a small folder says when vae factors will have too few test images', () => {
  const root = tempRoot('factors-few-header');
  after(() => rmSync(root, { recursive: true, force: true }));
  const plan = (argv: string[]) => {
    const { values, given } = parseFlagsGiven('vae train', argv, TRAIN_SETTINGS);
    return planNewRun(values, given);
  };

  test('60 drawings, 15 held out: by default a plane, whose factors 15 images can name', () => {
    writeHelloFolder(join(root, 'h60'), 60, 3);
    const p = plan(['--dataset', `folder:${join(root, 'h60')}`, '--out', join(root, 'r0')]);
    assert.equal(p.state.config.model.latent, 2);
    assert.equal(p.planeByDefault, true);
    assert.doesNotMatch(p.testNotice ?? '', /vae factors needs/);
    // Given, the size is kept, and nothing is said of a default.
    const given = plan(['--dataset', `folder:${join(root, 'h60')}`, '--out', join(root, 'r00'), '--latent', '8']);
    assert.deepEqual([given.state.config.model.latent, given.planeByDefault], [8, undefined]);
  });

  test('60 drawings, 15 held out: 20 latent dimensions need 22, and the header names the ways out', () => {
    const p = plan(['--dataset', `folder:${join(root, 'h60')}`, '--out', join(root, 'r1'), '--latent', '20']);
    assert.equal(p.data.test.count, 15);
    assert.match(p.testNotice ?? '', /vae factors needs 22 test images to name the factors of 20 latent dimensions: --latent 13 or fewer .*, or a larger --test-fraction$/);
    // 2 latent dimensions need 4: nothing to say beyond the held-out share.
    const two = plan(['--dataset', `folder:${join(root, 'h60')}`, '--out', join(root, 'r2'), '--latent', '2']);
    assert.doesNotMatch(two.testNotice ?? '', /vae factors needs/);
  });

  test('180 drawings hold out the usual 10%, 18, still too few for 20 dimensions: said too', () => {
    writeHelloFolder(join(root, 'h180'), 180, 4);
    const p = plan(['--dataset', `folder:${join(root, 'h180')}`, '--out', join(root, 'r3'), '--latent', '20']);
    assert.equal(p.data.test.count, 18);
    assert.match(p.testNotice ?? '', /^18 of 180 images held out for testing; vae factors needs 22 test images/);
    const fewer = plan(['--dataset', `folder:${join(root, 'h180')}`, '--out', join(root, 'r4'), '--latent', '16']);
    assert.equal(fewer.testNotice, undefined);
  });
});

test('vae serve --help does not say its pad is for digits: the explorer of a word or shape model has a pad too', () => {
  assert.doesNotMatch(serveCommand.summary, /digit/);
  assert.match(serveCommand.summary, /draw or give an image/);
});

test("vae train --help states the own-size rule as the loader applies it: pixels in all, not 128 a side", () => {
  const help = String(TRAIN_SETTINGS.imageSize.help);
  assert.match(help, new RegExp(`at most ${OWN_SIZE_LIMITS.maxPixels.toLocaleString('en-US')} pixels \\(128x128, 64x256`));
  assert.match(help, new RegExp(`sides ${OWN_SIZE_LIMITS.minSide} to ${OWN_SIZE_LIMITS.maxSide}`));
});

test('the traversal figure says why no row names a measure when the test images are too few', () => {
  assert.equal(traversalLegend(factorsFile(5, 0), 'image'), 'no measure named: partial correlations over 4 latent dimensions need at least 6 test images, and there are 5');
  assert.match(traversalLegend(factorsFile(6, 0.42), 'image'), /^label: the measure the dimension tracks best/);
});
