/**
 * A collected folder of handwriting as the rest of the toolkit takes it: the generated
 * hellos look like what they claim (their measured slant follows the known one), the folder
 * loader trains a folder of one picture size at that size (28x28 otherwise, saying why), and
 * `vae encode` names each folder image's file, so codes can be matched to what made them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { defaultTestFraction, loadImageFolder } from '../src/data/folder.js';
import { measureGlyph } from '../src/measure/glyph.js';
import { encodePng } from '../src/viz/png.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { encodeDataset } from '../src/train/posterior.js';
import { encodedCsv } from '../src/cli/encode.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { correlation } from '../src/train/partial-correlation.js';
import { vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { PAD, helloFileName, helloSamples, storedSample, writeHelloFolder } from './support/hello-strokes.js';

const root = tempRoot('handwriting-folder');
after(() => rmSync(root, { recursive: true, force: true }));


test('generated hellos fit the pad, are seeded, and their measured slant follows the known slant', () => {
  const samples = helloSamples(40, 11);
  assert.deepEqual(helloSamples(3, 11), samples.slice(0, 3));
  for (const s of samples) {
    for (const p of s.strokes.flat()) assert.ok(p.x >= 0 && p.x <= PAD.width && p.y >= 0 && p.y <= PAD.height, `point ${p.x},${p.y} off the pad`);
    assert.ok(Math.abs(s.slantDeg) <= 30);
  }
  const measured = samples.map((s) => measureGlyph(Float32Array.from(storedSample(s), (v) => v / 255), 32, 128).slant_deg);
  const r = correlation(samples.map((s) => s.slantDeg), measured);
  assert.ok(r > 0.95, `r(known, measured slant) = ${r.toFixed(3)}`);
  // A thicker pen at the same size leaves more ink.
  const ink = (pen: 'thin' | 'thick'): number => storedSample(helloSamples(1, 3, { pens: [pen] })[0]!).reduce((a, b) => a + b, 0);
  assert.ok(ink('thick') > 1.5 * ink('thin'));
});

const hello = writeHelloFolder(join(root, 'hello'), 20, 7);

test('a folder of one picture size loads at that size, and says so', () => {
  assert.deepEqual(readdirSync(hello.dir).slice(0, 2), [helloFileName(1), helloFileName(2)]);
  const data = loadImageFolder(hello.dir);
  assert.deepEqual([data.train.height, data.train.width, data.train.channels], [32, 128, 1]);
  assert.equal(data.preparation, 'their own size');
  // --image-size still decides when given.
  const sized = loadImageFolder(hello.dir, { size: { height: 16, width: 64 } });
  assert.deepEqual([sized.train.height, sized.train.width], [16, 64]);
  assert.equal(sized.preparation, 'resized from 32x128');
});

test('pictures of several sizes, or too large, load at 28x28, and the note says why', () => {
  const mixed = join(root, 'mixed');
  mkdirSync(mixed);
  for (const n of [1, 2, 3]) copyFileSync(join(hello.dir, helloFileName(n)), join(mixed, helloFileName(n)));
  writeFileSync(join(mixed, 'square.png'), encodePng({ width: 40, height: 40, channels: 1, pixels: new Uint8Array(1600).fill(90) }));
  const data = loadImageFolder(mixed);
  assert.deepEqual([data.train.height, data.train.width], [28, 28]);
  assert.match(data.preparation!, /^28x28 by default: the pictures differ in size; --image-size sets another, cropped to square from 32x128, resized from 40x40$/);
  const large = join(root, 'large');
  mkdirSync(large);
  for (const n of [1, 2]) writeFileSync(join(large, `${n}.png`), encodePng({ width: 200, height: 100, channels: 1, pixels: new Uint8Array(20000).fill(n * 50) }));
  const big = loadImageFolder(large);
  assert.deepEqual([big.train.height, big.train.width], [28, 28]);
  assert.match(big.preparation!, /^28x28 by default: their size 100x200 is beyond 16384 pixels/);
  // A folder of 28x28 pictures reads as it always did: nothing to say.
  const mnistLike = join(root, 'mnist-like');
  mkdirSync(mnistLike);
  for (const n of [1, 2]) writeFileSync(join(mnistLike, `${n}.png`), encodePng({ width: 28, height: 28, channels: 1, pixels: new Uint8Array(784).fill(n) }));
  assert.equal(loadImageFolder(mnistLike).preparation, undefined);
});

test('a small folder asked for 16 test images holds out that many, up to a quarter; larger ones keep 10%', () => {
  assert.equal(defaultTestFraction(60), 0.1);
  assert.equal(defaultTestFraction(60, 16), 0.25);
  assert.equal(Math.round(100 * defaultTestFraction(100, 16)), 16);
  assert.equal(defaultTestFraction(160, 16), 0.1);
  assert.equal(defaultTestFraction(5000, 16), 0.1);
  const data = loadImageFolder(hello.dir, { minTestImages: 16 });
  assert.deepEqual([data.train.count, data.test.count, data.testFraction], [15, 5, 0.25]);
});

test('the loaded splits name their files, relative to the folder', () => {
  const data = loadImageFolder(hello.dir);
  const files = [...data.train.files!, ...data.test.files!].sort();
  assert.deepEqual(files, readdirSync(hello.dir).sort());
  // Each image is its file's picture.
  const file = data.test.files![0]!;
  const png = PNG.sync.read(readFileSync(join(hello.dir, file)));
  const grey = Uint8Array.from({ length: 32 * 128 }, (_, i) => png.data[4 * i]!);
  assert.deepEqual(data.test.pixels.subarray(0, 32 * 128), grey);
});

test('vae train on the folder says its size; vae encode writes each image\'s file beside its code', async () => {
  const run = join(root, 'run');
  const r = await vaeOk(['train', '--dataset', `folder:${hello.dir}`, '--hidden', '8', '--latent', '2', '--steps', '2', '--out', run], root);
  assert.match(r.stdout, /15 train \/ 5 test images of 32x128 \(their own size\)/);
  assert.match(r.stdout, /a small folder: 5 of 20 images held out for testing \(10% would be 2, too few/);
  const state = loadCheckpoint(run);
  assert.equal(state.config.training.testFraction, 0.25);
  const data = loadImageFolder(hello.dir, { testFraction: 0.25 });
  for (const split of ['train', 'test'] as const) {
    const out = join(root, `codes-${split}.csv`);
    await vaeOk(['encode', '--checkpoint', run, '--split', split, '--out', out], root);
    const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(header, 'index,label,mu_0,mu_1,logvar_0,logvar_1,file');
    const images = data[split];
    assert.deepEqual(rows.map((row) => row.split(',').at(-1)), images.files);
    // The code beside a file is that file's picture encoded on its own.
    const last = rows.length - 1;
    const file = rows[last]!.split(',').at(-1)!;
    const png = PNG.sync.read(readFileSync(join(hello.dir, file)));
    const one: ImageDataset = { ...images, count: 1, labels: new Uint8Array(1), pixels: Uint8Array.from({ length: 32 * 128 }, (_, i) => png.data[4 * i]!) };
    const mu = encodeDataset(state.model, one).mu;
    const cells = rows[last]!.split(',');
    assert.ok(Math.abs(Number(cells[2]) - mu[0]!) < 1e-6 && Math.abs(Number(cells[3]) - mu[1]!) < 1e-6);
  }
});

test('a file name with a comma or a quote is written as CSV quotes it', () => {
  const data: ImageDataset = {
    name: 'x',
    pixels: new Uint8Array(2),
    labels: new Uint8Array(2),
    count: 2,
    channels: 1,
    height: 1,
    width: 1,
    description: { classNames: [], noun: 'image' },
    files: ['a,b.png', 'say "hi".png'],
  };
  const csv = encodedCsv(data, { mu: new Float32Array([0.5, 1]), logvar: new Float32Array([0, 0]), count: 2, latent: 1 }, null);
  assert.equal(csv, 'index,label,mu_0,logvar_0,file\n0,0,0.5,0,"a,b.png"\n1,0,1,0,"say ""hi"".png"\n');
});
