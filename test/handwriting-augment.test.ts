/**
 * Handwriting augmentation (src/data/augment.ts): the warp against known answers (identity,
 * shifts, rotation and size about the centre, a shear's change of measured slant, the pen's
 * dilation and erosion), its draws from the run's generator, and `--augment KIND` on the
 * command line: recorded in config, auto resolved by the data's channels, and a resumed run
 * taking up the same augmented batches, bit for bit.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random.js';
import {
  IDENTITY_WARP,
  augmentBatch,
  augmentKindOf,
  augmentationFor,
  drawWarp,
  HANDWRITING_RANGES,
  resolveAugmentChoice,
  warpImage,
  type WarpParams,
} from '../src/data/augment.js';
import { measureGlyph } from '../src/measure/glyph.js';
import { validateTrainingConfig, defaultRunConfig } from '../src/train/config.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeHelloFolder } from './support/hello-strokes.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('handwriting-augment');
after(() => rmSync(root, { recursive: true, force: true }));

function warp(src: Float32Array, h: number, w: number, p: Partial<WarpParams>, channels = 1): Float32Array {
  const dst = new Float32Array(src.length);
  warpImage(src, dst, channels, h, w, { ...IDENTITY_WARP, ...p });
  return dst;
}

/** The brightest pixel's row and column. */
function brightest(image: Float32Array, w: number): [number, number] {
  let at = 0;
  for (let i = 1; i < image.length; i++) if (image[i]! > image[at]!) at = i;
  return [Math.floor(at / w), at % w];
}

test('the identity warp gives the image back exactly, in every channel', () => {
  const rng = new Random(4);
  const image = rng.fillUniform(new Float32Array(3 * 9 * 14));
  assert.deepEqual(warp(image, 9, 14, {}, 3), image);
});

test('a shift moves a dot by its pixels; rotation and size act about the centre, clockwise on the screen', () => {
  const [h, w] = [15, 15];
  const dot = (y: number, x: number): Float32Array => {
    const image = new Float32Array(h * w);
    image[y * w + x] = 1;
    return image;
  };
  const shifted = warp(dot(5, 7), h, w, { dx: 2, dy: -1 });
  assert.deepEqual(brightest(shifted, w), [4, 9]);
  assert.equal(shifted[4 * w + 9], 1);
  assert.equal(shifted.reduce((a, b) => a + b, 0), 1);
  // The centre is (7, 7): a dot 3 px right of it turns a quarter clockwise to 3 px below it.
  const turned = warp(dot(7, 10), h, w, { rotationDeg: 90 });
  assert.deepEqual(brightest(turned, w), [10, 7]);
  assert.ok(Math.abs(turned[10 * w + 7]! - 1) < 1e-6);
  const grown = warp(dot(7, 9), h, w, { scale: 2 });
  assert.deepEqual(brightest(grown, w), [7, 11]);
});

test('a shear of a vertical bar raises its measured slant by the shear angle, the top leaning right', () => {
  const [h, w] = [28, 28];
  const bar = new Float32Array(h * w);
  for (let y = 4; y < 24; y++) for (let x = 13; x < 16; x++) bar[y * w + x] = 1;
  const upright = measureGlyph(bar, h, w).slant_deg;
  assert.ok(Math.abs(upright) < 0.5, `upright bar slant ${upright}`);
  for (const shearDeg of [-20, -8, 10, 25]) {
    const sheared = warp(bar, h, w, { shearDeg });
    const slant = measureGlyph(sheared, h, w).slant_deg;
    assert.ok(Math.abs(slant - shearDeg) < 1.5, `shear ${shearDeg}: measured slant ${slant.toFixed(2)}`);
    // Top right, bottom left for a positive shear: the ink's top row lies right of its bottom row.
    const column = (y: number): number => {
      let sum = 0;
      let mass = 0;
      for (let x = 0; x < w; x++) {
        sum += x * sheared[y * w + x]!;
        mass += sheared[y * w + x]!;
      }
      return sum / mass;
    };
    assert.equal(Math.sign(column(5) - column(22)), Math.sign(shearDeg));
  }
});

test('the pen change grows a 1-px line by the share of a dilation and thins a 3-px one by the share of an erosion', () => {
  const [h, w] = [16, 16];
  const line = (width: number): Float32Array => {
    const image = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 7; x < 7 + width; x++) image[y * w + x] = 1;
    return image;
  };
  const rowInk = (image: Float32Array, y: number): number => image.subarray(y * w, (y + 1) * w).reduce((a, b) => a + b, 0);
  const thick = warp(line(1), h, w, { stroke: 0.6 });
  // Each neighbour of the line takes 0.6 of it: 1 + 2 x 0.6 of ink per row.
  for (const y of [0, 8, 15]) assert.ok(Math.abs(rowInk(thick, y) - 2.2) < 1e-6, `row ${y}: ${rowInk(thick, y)}`);
  const full = warp(line(1), h, w, { stroke: 1 });
  assert.ok(measureGlyph(full, h, w).thickness > measureGlyph(line(1), h, w).thickness + 1.5);
  const thin = warp(line(3), h, w, { stroke: -0.4 });
  for (const y of [0, 8, 15]) assert.ok(Math.abs(rowInk(thin, y) - 2.2) < 1e-6, `row ${y}: ${rowInk(thin, y)}`);
  assert.equal(thin[8 * w + 8], 1);
});

test('handwriting draws stay in their ranges, come from the run generator, and the same seed gives the same batches', () => {
  const a = augmentationFor({ imageHeight: 32, imageWidth: 128 }, { noun: 'image' }, 'handwriting');
  assert.equal(a.shiftX, 2);
  assert.equal(a.flip, false);
  const rng = new Random(9);
  const r = HANDWRITING_RANGES;
  for (let i = 0; i < 500; i++) {
    const p = drawWarp(a, rng);
    assert.ok(Math.abs(p.dx) <= 2 && Math.abs(p.dy) <= 2);
    assert.ok(Math.abs(p.rotationDeg) <= r.rotationDeg && Math.abs(p.shearDeg) <= r.shearDeg && Math.abs(p.scale - 1) <= r.scale);
    assert.ok(p.stroke <= r.dilate && p.stroke >= -r.erode);
  }
  const batch = (seed: number): Float32Array => {
    const x = new Random(77).fillUniform(new Float32Array(4 * 32 * 128));
    const g = new Random(seed);
    for (let i = 0; i < 3; i++) augmentBatch(x, 4, a, g);
    return x;
  };
  assert.deepEqual(batch(1), batch(1));
  assert.notDeepEqual(batch(1), batch(2));
});

test('--augment kinds: auto is handwriting for grey and shift for colour, old runs\' true means shift, a bad kind is refused', () => {
  assert.equal(resolveAugmentChoice('auto', 1), 'handwriting');
  assert.equal(resolveAugmentChoice('auto', 3), 'shift');
  assert.equal(resolveAugmentChoice('none', 1), null);
  assert.equal(augmentKindOf(true), 'shift');
  assert.equal(augmentKindOf(undefined), null);
  assert.equal(augmentKindOf('handwriting'), 'handwriting');
  const config = defaultRunConfig();
  validateTrainingConfig({ ...config.training, augment: 'handwriting' });
  validateTrainingConfig({ ...config.training, augment: true });
  assert.throws(() => validateTrainingConfig({ ...config.training, augment: 'mirror' as never }), /augment must be true, false, shift or handwriting/);
});

const hello = writeHelloFolder(join(root, 'hello'), 16, 5).dir;
const HELLO_RUN = ['--dataset', `folder:${hello}`, '--hidden', '8', '--latent', '2', '--batch-size', '4'];

function configOf(dir: string): { training: { augment?: unknown } } {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { training: { augment?: unknown } };
}

test('vae train --augment records its kind and says it in the header; none records nothing', async () => {
  const auto = join(root, 'auto');
  const r = await vaeOk(['train', ...HELLO_RUN, '--steps', '2', '--augment', '--out', auto], root);
  assert.match(r.stdout, /augmentation: handwriting: rotations of up to 4°, shears of up to 10°/);
  assert.equal(configOf(auto).training.augment, 'handwriting');
  const shift = join(root, 'shift');
  await vaeOk(['train', ...HELLO_RUN, '--steps', '2', '--augment', 'shift', '--out', shift], root);
  assert.equal(configOf(shift).training.augment, 'shift');
  const none = join(root, 'none');
  const plain = await vaeOk(['train', ...HELLO_RUN, '--steps', '2', '--augment=none', '--out', none], root);
  assert.equal(configOf(none).training.augment, undefined);
  assert.doesNotMatch(plain.stdout, /augmentation/);
  // Without --augment a small grey folder is augmented as handwriting, and the header says it is the default.
  const byDefault = join(root, 'by-default');
  const d = await vaeOk(['train', ...HELLO_RUN, '--steps', '1', '--out', byDefault], root);
  assert.equal(configOf(byDefault).training.augment, 'handwriting');
  assert.match(d.stdout, /augmentation: handwriting: .*\(the default for a small collection of grey images; --augment none turns it off\)/);
  const colour = join(root, 'colour');
  const shapes = writeShapesFolder(join(root, 'shapes'), { count: 12, size: 8 });
  await vaeOk(['train', '--dataset', `folder:${shapes}`, '--image-size', '8', '--hidden', '8', '--latent', '2', '--steps', '1', '--augment', '--out', colour], root);
  assert.equal(configOf(colour).training.augment, 'shift');
  // Colour folders are not augmented unless asked.
  const colourPlain = join(root, 'colour-plain');
  await vaeOk(['train', '--dataset', `folder:${shapes}`, '--image-size', '8', '--hidden', '8', '--latent', '2', '--steps', '1', '--out', colourPlain], root);
  assert.equal(configOf(colourPlain).training.augment, undefined);
  assertUserFailure(await vae(['train', ...HELLO_RUN, '--augment', 'mirror', '--out', join(root, 'bad')], root), /--augment must be one of auto, shift, handwriting, none; got "mirror"/);
  assertUserFailure(await vae(['train', '--resume', auto, '--augment', 'shift'], root), /--augment cannot be changed when resuming/);
});

test('a handwriting-augmented run stopped mid-epoch and resumed is the run trained at once, bit for bit', async () => {
  // 14 training images in batches of 4: 4 batches an epoch; step 6 is mid-epoch.
  const once = join(root, 'once');
  await vaeOk(['train', ...HELLO_RUN, '--augment', 'handwriting', '--steps', '11', '--out', once], root);
  const split = join(root, 'split');
  await vaeOk(['train', ...HELLO_RUN, '--augment', 'handwriting', '--steps', '6', '--out', split], root);
  await vaeOk(['train', '--resume', split, '--steps', '11'], root);
  const x = loadCheckpoint(once);
  const y = loadCheckpoint(split);
  assert.equal(x.optimizer.step, 11);
  assert.deepEqual(x.rng.getState(), y.rng.getState());
  const yp = y.model.parameters();
  x.model.parameters().forEach(([name, t], i) => assert.deepEqual(t.data, yp[i]![1].data, name));
  const plain = join(root, 'plain');
  await vaeOk(['train', ...HELLO_RUN, '--steps', '11', '--augment', 'none', '--out', plain], root);
  assert.notDeepEqual(loadCheckpoint(plain).model.parameters()[0]![1].data, x.model.parameters()[0]![1].data);
});
