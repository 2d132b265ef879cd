/**
 * "The test set" of a small folder is the same images whichever command is asked: a new
 * training run holds out at least 16 images of a small folder (up to a quarter), and
 * `vae pack` and `vae measure`, given the folder alone, hold out those same images.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFolder } from '../src/data/folder.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeHelloFolder } from './support/hello-strokes.js';

const root = tempRoot('small-folder-split');
after(() => rmSync(root, { recursive: true, force: true }));
const hello = writeHelloFolder(join(root, 'hello'), 24, 3);

test('vae pack, vae measure and a new run hold out the same images of a small folder', async () => {
  const run = join(root, 'run');
  await vaeOk(['train', '--dataset', `folder:${hello.dir}`, '--hidden', '8', '--latent', '2', '--steps', '1', '--out', run], root);
  const fraction = loadCheckpoint(run).config.training.testFraction;
  assert.equal(fraction, 0.25, 'a 24-image folder holds out 6 (10% would be 2)');
  const held = loadImageFolder(hello.dir, { testFraction: fraction });
  assert.equal(held.test.count, 6);

  const packed = join(root, 'packed');
  await vaeOk(['pack', '--dataset', `folder:${hello.dir}`, '--out', packed], root);
  const idx = readFileSync(join(packed, 't10k-images-idx3-ubyte'));
  // IDX: magic, then the dimensions [6, 32, 128] big-endian, then the bytes.
  assert.deepEqual([idx.readUInt32BE(4), idx.readUInt32BE(8), idx.readUInt32BE(12)], [6, 32, 128]);
  assert.deepEqual(new Uint8Array(idx.subarray(16)), held.test.pixels);

  const measured = join(root, 'measures.csv');
  await vaeOk(['measure', '--dataset', `folder:${hello.dir}`, '--out', measured], root);
  assert.equal(readFileSync(measured, 'utf8').trim().split('\n').length - 1, 6, 'one row per held-out image');
});
