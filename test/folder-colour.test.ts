/**
 * Folders of colour pictures: colour is kept, class names are the folder names, other
 * shapes are cropped, padded or stretched as asked (and said), WebP is read as PNG and JPEG
 * are, and a damaged picture stops the run with its name.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodePicture, loadImageFolder, loadPictures } from '../src/data/folder.js';
import { EMOJI_CATEGORIES, EMOJI_INSTALL_HINT, EMOJI_PACKAGE, emojiFiles, emojiPackageDir } from '../src/data/emoji.js';
import { loadDataset } from '../src/data/source.js';
import { imageFloats, valuesPerImage, type ImageDataset } from '../src/data/dataset.js';
import { UserError } from '../src/errors.js';
import { Random } from '../src/engine/random.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { parseFlagsGiven } from '../src/cli/args.js';
import { planNewRun } from '../src/run/plan.js';
import { TRAIN_SETTINGS } from '../src/run/settings.js';
import { evaluate } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';
import { encodeLosslessWebp } from './support/webp.js';

type Rgba = [number, number, number, number];
const WHITE: Rgba = [255, 255, 255, 255];
const RED: Rgba = [255, 0, 0, 255];
const BLUE: Rgba = [0, 0, 255, 255];

/** A width x height RGBA picture: a disc of `colour` and `radius` about (cx, cy) on `ground`. */
function disc(width: number, height: number, colour: Rgba, radius: number, cx = width / 2, cy = height / 2, ground: Rgba = WHITE): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius ** 2;
      rgba.set(inside ? colour : ground, 4 * (y * width + x));
    }
  }
  return rgba;
}

function writePng(path: string, width: number, height: number, rgba: Uint8Array): void {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  writeFileSync(path, PNG.sync.write(png));
}

/**
 * Spread of the ink (how far a pixel is from white, averaged over its channels) across and
 * down an image: the standard deviations of its x and y. A disc has them equal; one stretched
 * sideways has the x one larger.
 */
function inkSpread(ds: ImageDataset, index: number): { sx: number; sy: number; cx: number; cy: number } {
  const x = imageFloats(ds, index);
  const { height: h, width: w, channels: c } = ds;
  let m = 0;
  let mx = 0;
  let my = 0;
  let mxx = 0;
  let myy = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let ink = 0;
      for (let k = 0; k < c; k++) ink += 1 - x[k * h * w + i * w + j]!;
      ink /= c;
      m += ink;
      mx += ink * (j + 0.5);
      my += ink * (i + 0.5);
      mxx += ink * (j + 0.5) ** 2;
      myy += ink * (i + 0.5) ** 2;
    }
  }
  const cx = mx / m;
  const cy = my / m;
  return { sx: Math.sqrt(mxx / m - cx * cx), sy: Math.sqrt(myy / m - cy * cy), cx, cy };
}

/** The mean of each channel over the pixels of an image whose ink is strong, i.e. the disc's colour. */
function discColour(ds: ImageDataset, index: number): number[] {
  const x = imageFloats(ds, index);
  const n = ds.height * ds.width;
  const sums = [0, 0, 0];
  let count = 0;
  for (let p = 0; p < n; p++) {
    const rgb = [0, 1, 2].map((k) => x[k * n + p]!);
    if (rgb.reduce((a, b) => a + b, 0) < 1.5) {
      rgb.forEach((v, k) => (sums[k]! += v));
      count++;
    }
  }
  return sums.map((s) => s / count);
}

describe('a folder of colour shapes, 32 high and 48 wide, in red/ and blue/', () => {
  let root: string;
  let dir: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vae-colour-'));
    dir = join(root, 'shapes');
    for (const [name, colour] of [['red', RED], ['blue', BLUE]] as const) {
      mkdirSync(join(dir, name), { recursive: true });
      for (let i = 0; i < 10; i++) writePng(join(dir, name, `${name}-${i}.png`), 48, 32, disc(48, 32, colour, 9 + (i % 3)));
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('loads in 3 channels, with the folder names as class names, cropped to the square asked for', () => {
    const data = loadImageFolder(dir, { size: 16, seed: 1, testFraction: 0.2 });
    assert.deepEqual([data.train.count, data.test.count], [16, 4]);
    for (const split of [data.train, data.test]) {
      assert.equal(split.channels, 3);
      assert.deepEqual([split.height, split.width], [16, 16]);
      assert.equal(valuesPerImage(split), 3 * 16 * 16);
      assert.equal(split.pixels.length, split.count * 3 * 16 * 16);
      assert.deepEqual(split.description, { classNames: ['blue', 'red'], noun: 'image' });
    }
    assert.equal(data.preparation, 'cropped to square from 32x48');
    for (let i = 0; i < data.train.count; i++) {
      const [r, g, b] = discColour(data.train, i);
      // Label 0 is blue, 1 is red: the colour of every disc is its class.
      if (data.train.labels[i] === 1) assert.ok(r! > 0.9 && g! < 0.1 && b! < 0.1, `image ${i}: ${[r, g, b]}`);
      else assert.ok(b! > 0.9 && g! < 0.1 && r! < 0.1, `image ${i}: ${[r, g, b]}`);
      // Cropped, not stretched: the disc stays round and centred.
      const s = inkSpread(data.train, i);
      assert.ok(Math.abs(s.sx / s.sy - 1) < 0.03, `image ${i}: spread ${s.sx} across, ${s.sy} down`);
      assert.ok(Math.abs(s.cx - 8) < 0.05 && Math.abs(s.cy - 8) < 0.05, `image ${i}: centre ${s.cx}, ${s.cy}`);
    }
    // The corners are the white ground.
    const first = imageFloats(data.train, 0);
    for (const k of [0, 1, 2]) assert.equal(first[k * 256], 1);
  });

  test('stretch squeezes the disc sideways by the ratio of the shapes', () => {
    const data = loadImageFolder(dir, { size: 16, seed: 1, testFraction: 0.2, fit: 'stretch' });
    assert.equal(data.preparation, 'stretched to square from 32x48');
    for (let i = 0; i < data.train.count; i++) {
      const s = inkSpread(data.train, i);
      // Across: 48 -> 16, a third; down: 32 -> 16, a half. The disc's spreads keep that ratio.
      assert.ok(Math.abs(s.sx / s.sy - 2 / 3) < 0.03, `image ${i}: ${s.sx / s.sy}`);
    }
  });

  test('pad keeps the whole picture, round, framed above and below by the white ground', () => {
    const data = loadImageFolder(dir, { size: 16, seed: 1, testFraction: 0.2, fit: 'pad' });
    assert.equal(data.preparation, 'padded to square with white from 32x48');
    for (let i = 0; i < data.train.count; i++) {
      const s = inkSpread(data.train, i);
      assert.ok(Math.abs(s.sx / s.sy - 1) < 0.05, `image ${i}: ${s.sx / s.sy}`);
      // 32x48 scaled by a third is 10.67 high: 2.67 rows of frame above and below.
      const x = imageFloats(data.train, i);
      for (const row of [0, 1, 14, 15]) for (let k = 0; k < 3; k++) for (let j = 0; j < 16; j++) assert.equal(x[k * 256 + row * 16 + j], 1, `row ${row}`);
    }
  });

  test('a height x width of the same shape is a resize; --channels 1 makes them grey', () => {
    const wide = loadImageFolder(dir, { size: { height: 16, width: 24 }, seed: 1, testFraction: 0.2 });
    assert.deepEqual([wide.train.height, wide.train.width, wide.train.channels], [16, 24, 3]);
    assert.equal(wide.preparation, 'resized from 32x48');
    const s = inkSpread(wide.train, 0);
    assert.ok(Math.abs(s.sx / s.sy - 1) < 0.03);
    const grey = loadImageFolder(dir, { size: 16, seed: 1, testFraction: 0.2, channels: 1 });
    assert.equal(grey.train.channels, 1);
    assert.equal(grey.train.pixels.length, grey.train.count * 256);
    assert.equal(grey.preparation, 'cropped to square from 32x48, turned grey');
    // Luminance: red discs are lighter than blue ones (0.299 against 0.114).
    const centre = (i: number): number => imageFloats(grey.train, i)[8 * 16 + 8]!;
    for (let i = 0; i < grey.train.count; i++) {
      assert.ok(Math.abs(centre(i) - (grey.train.labels[i] === 1 ? 0.299 : 0.114)) < 0.01, `image ${i}: ${centre(i)}`);
    }
  });

  test('a run planned on them has a colour model, and trains', async () => {
    const { values, given } = parseFlagsGiven('vae train', ['--dataset', `folder:${dir}`, '--image-size', '16', '--hidden', '8', '--latent', '2', '--batch-size', '8', '--out', join(root, 'never-made')], TRAIN_SETTINGS);
    const plan = planNewRun(values, given);
    assert.equal(plan.state.config.model.channels, 3);
    assert.equal(plan.state.config.model.inputDim, 3 * 16 * 16);
    assert.deepEqual(plan.state.config.data, { channels: 3, height: 16, width: 16, classNames: ['blue', 'red'], noun: 'image' });
    assert.equal(plan.state.config.training.fit, 'crop');
    assert.equal(plan.data.preparation, 'cropped to square from 32x48');
    const before = evaluate(plan.state.model, plan.data.test).nelbo;
    await train(plan.state, plan.data, { epochs: 3 });
    const after = evaluate(plan.state.model, plan.data.test).nelbo;
    assert.ok(after < before, `test NELBO ${before} -> ${after}`);
  });

  test('vae train says what it did in its header and records the names, the fit and the test share', async () => {
    const run = join(root, 'run');
    const r = await vaeOk(['train', '--dataset', `folder:${dir}`, '--image-size', '16', '--channels', '1', '--test-fraction', '0.25', '--epochs', '1', '--hidden', '8', '--latent', '2', '--batch-size', '8', '--out', run]);
    assert.match(r.stdout, /15 train \/ 5 test images of 16x16 \(cropped to square from 32x48, turned grey\)/);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepEqual(config.data, { channels: 1, height: 16, width: 16, classNames: ['blue', 'red'], noun: 'image' });
    assert.equal(config.model!.inputDim, 256);
    assert.equal(config.training!.fit, 'crop');
    assert.equal(config.training!.testFraction, 0.25);
    // The run's data come back the same way (same split, grey, cropped): eval reads its 5 test images.
    const ev = await vaeOk(['eval', '--checkpoint', run]);
    assert.match(ev.stdout, /\b5 /);
    const refused = await vae(['train', '--dataset', 'mnist', '--fit', 'pad', '--out', join(root, 'no')]);
    assertUserFailure(refused, /--fit applies to folder: datasets/);
    const badSize = await vae(['train', '--dataset', `folder:${dir}`, '--image-size', '16y8', '--out', join(root, 'no')]);
    assertUserFailure(badSize, /--image-size takes N or HxW/);
  });
});

describe('transparency, grey pictures and forced channels', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vae-alpha-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('grey pictures stay 1 channel with transparent parts black; colour ones get white', () => {
    const grey = join(root, 'grey');
    mkdirSync(grey);
    const ink: Rgba = [200, 200, 200, 255];
    for (let i = 0; i < 3; i++) writePng(join(grey, `g${i}.png`), 8, 8, disc(8, 8, ink, 3, 4, 4, [90, 90, 90, 0]));
    const g = loadImageFolder(grey, { size: 8 });
    assert.equal(g.train.channels, 1);
    assert.deepEqual(g.train.description, { classNames: [], noun: 'image' });
    assert.equal(g.train.pixels[0], 0, 'transparent corner over black');
    assert.equal(g.train.pixels[4 * 8 + 4], 200);
    assert.equal(g.preparation, 'transparent parts on black');
    const forced = loadImageFolder(grey, { size: 8, channels: 3 });
    assert.equal(forced.train.channels, 3);
    const p = forced.train.pixels;
    assert.deepEqual([p[36], p[64 + 36], p[128 + 36]], [200, 200, 200]);
    assert.equal(forced.preparation, 'grey in 3 channels, transparent parts on black');

    const colour = join(root, 'colour');
    mkdirSync(colour);
    for (let i = 0; i < 3; i++) writePng(join(colour, `c${i}.png`), 8, 8, disc(8, 8, RED, 3, 4, 4, [0, 0, 0, 0]));
    const c = loadImageFolder(colour, { size: 8 });
    assert.equal(c.train.channels, 3);
    assert.deepEqual([c.train.pixels[0], c.train.pixels[64], c.train.pixels[128]], [255, 255, 255], 'transparent corner over white');
    assert.deepEqual([c.train.pixels[36], c.train.pixels[64 + 36], c.train.pixels[128 + 36]], [255, 0, 0]);
  });

  test('digit-named class folders make digit data', () => {
    const digits = join(root, 'digits');
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(digits, String(d)), { recursive: true });
      writePng(join(digits, String(d), 'a.png'), 8, 8, disc(8, 8, [255, 255, 255, 255], d / 3 + 1, 4, 4, [0, 0, 0, 255]));
    }
    const data = loadImageFolder(digits, { size: 8 });
    assert.deepEqual(data.train.description, { classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], noun: 'digit' });
    assert.equal(data.train.channels, 1);
  });
});

describe('WebP pictures and damaged ones', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vae-webp-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a lossless WebP decodes to exactly its pixels, transparency included', () => {
    const rgba = disc(6, 5, RED, 2, 3, 2.5, [0, 0, 255, 0]);
    rgba.set(WHITE, 0);
    const path = join(root, 'one.webp');
    writeFileSync(path, encodeLosslessWebp(6, 5, rgba));
    const back = decodePicture(path);
    assert.deepEqual([back.width, back.height], [6, 5]);
    assert.deepEqual(Array.from(back.rgba), Array.from(rgba));
  });

  test('a folder with a WebP beside PNGs loads it as the PNG of the same picture', () => {
    const dir = join(root, 'mixed');
    mkdirSync(join(dir, 'red'), { recursive: true });
    mkdirSync(join(dir, 'blue'), { recursive: true });
    writeFileSync(join(dir, 'red', 'a.webp'), encodeLosslessWebp(12, 8, disc(12, 8, RED, 3)));
    writePng(join(dir, 'red', 'b.png'), 12, 8, disc(12, 8, RED, 3));
    writePng(join(dir, 'blue', 'c.png'), 12, 8, disc(12, 8, BLUE, 3));
    const data = loadImageFolder(dir, { size: 8, testFraction: 0.3 });
    const all = [data.train, data.test];
    const reds = all.flatMap((s) => Array.from({ length: s.count }, (_, i) => i).filter((i) => s.labels[i] === 1).map((i) => Array.from(imageFloats(s, i))));
    assert.equal(reds.length, 2);
    assert.deepEqual(reds[0], reds[1]);
  });

  test('changed bytes in a WebP: refused with the file named, or a picture of the size its header says', () => {
    const rgba = new Uint8Array(12 * 9 * 4);
    for (let i = 0; i < 12 * 9; i++) rgba.set(i % 3 === 0 ? RED : [0, 255, 255, 0], 4 * i);
    const good = encodeLosslessWebp(12, 9, rgba);
    const path = join(root, 'fuzzed.webp');
    const rng = new Random(77);
    let refused = 0;
    for (let t = 0; t < 300; t++) {
      const bytes = good.slice();
      for (let k = 0; k < 2; k++) bytes[Math.floor(rng.uniform() * bytes.length)] = Math.floor(rng.uniform() * 256);
      writeFileSync(path, bytes);
      try {
        const p = decodePicture(path);
        // VP8L has no checksum: changed code bits decode to other pixels, but never another size.
        const view = new DataView(bytes.buffer);
        const bits = view.getUint32(21, true);
        assert.deepEqual([p.width, p.height], [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1]);
        assert.equal(p.rgba.length, 4 * p.width * p.height);
      } catch (err) {
        assert.ok(err instanceof UserError && err.message.startsWith(`cannot decode image ${path}: `), String(err));
        refused++;
      }
    }
    assert.ok(refused > 100, `${refused} of 300 refused`);
    // The decoder is left in working order.
    writeFileSync(path, good);
    assert.deepEqual(Array.from(decodePicture(path).rgba), Array.from(rgba));
  });

  test('a damaged WebP or PNG is an error naming the file; vae train exits 2 with one line', async () => {
    const good = encodeLosslessWebp(4, 4, disc(4, 4, RED, 1.5));
    const cut = join(root, 'cut.webp');
    writeFileSync(cut, good.subarray(0, good.length - 3));
    assert.throws(() => decodePicture(cut), (err: unknown) => err instanceof UserError && /cut\.webp: truncated/.test(err.message));
    const junk = join(root, 'junk.webp');
    const bad = good.slice();
    bad.fill(0xff, 21);
    writeFileSync(junk, bad);
    assert.throws(() => decodePicture(junk), (err: unknown) => err instanceof UserError && /junk\.webp/.test(err.message));

    const dir = join(root, 'damaged');
    mkdirSync(join(dir, 'red'), { recursive: true });
    for (let i = 0; i < 3; i++) writePng(join(dir, 'red', `ok-${i}.png`), 8, 8, disc(8, 8, RED, 3));
    const png = readFileSync(join(dir, 'red', 'ok-0.png'));
    const corrupt = Buffer.from(png);
    corrupt[40] = corrupt[40]! ^ 0xff;
    writeFileSync(join(dir, 'red', 'corrupt.png'), corrupt);
    const r = await vae(['train', '--dataset', `folder:${dir}`, '--image-size', '8', '--epochs', '1', '--hidden', '4', '--latent', '2', '--out', join(root, 'run')]);
    assertUserFailure(r, /red\/corrupt\.png/);
    const skipped = loadImageFolder(dir, { size: 8, skipBadImages: true });
    assert.equal(skipped.skipped!.length, 1);
    assert.equal(skipped.train.count + skipped.test.count, 3);
  });
});

describe('the emoji dataset', () => {
  let dir: string | null = null;
  try {
    dir = emojiPackageDir();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
  }
  const skip = dir === null ? `${EMOJI_PACKAGE} is not installed (${EMOJI_INSTALL_HINT} to run these)` : false;

  test('without the package: one line saying how to install it', { skip: dir !== null ? 'the package is installed here' : false }, async () => {
    assert.throws(() => loadDataset('emoji'), (err: unknown) => err instanceof UserError && err.message.includes(EMOJI_INSTALL_HINT));
    assertUserFailure(await vae(['train', '--dataset', 'emoji', '--out', join(tmpdir(), 'vae-never-made')]), /npm install --no-save emoji-datasource-google/);
  });

  test('lists 3,781 pictures in 9 named categories', { skip }, () => {
    const files = emojiFiles(dir!);
    assert.equal(files.length, 3781);
    assert.equal(EMOJI_CATEGORIES.length, 9);
    const counts = new Array<number>(9).fill(0);
    for (const f of files) counts[f.label]!++;
    assert.ok(counts.every((c) => c > 50), `counts ${counts}`);
    // Skin tones make "People & Body" the largest class.
    assert.equal(counts.indexOf(Math.max(...counts)), EMOJI_CATEGORIES.indexOf('People & Body'));
  });

  test('pictures are colour, 64x64, transparent parts white', { skip }, () => {
    const files = emojiFiles(dir!).slice(0, 24);
    const loaded = loadPictures(files, { height: 64, width: 64 }, { channels: 3, background: 'white' });
    assert.equal(loaded.channels, 3);
    assert.equal(loaded.pixels.length, 24 * 3 * 64 * 64);
    // The grinning face: a yellow disc (red and green high, blue low) on white corners.
    const n = 64 * 64;
    const at = (c: number, y: number, x: number): number => loaded.pixels[c * n + y * 64 + x]!;
    assert.deepEqual([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)], [255, 255, 255]);
    assert.ok(at(0, 40, 10) > 200 && at(1, 40, 10) > 150 && at(2, 40, 10) < 100, `${[at(0, 40, 10), at(1, 40, 10), at(2, 40, 10)]}`);
  });
});
