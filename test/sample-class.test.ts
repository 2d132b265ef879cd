/**
 * `vae sample --class NAME|INDEX` on a conditional model of a folder whose classes are named
 * (blue/, red/): a name and its index draw the same images, a wrong name lists the names,
 * and --digit is refused for data that are not digits; on digit data --digit still works.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { assertUserFailure, vaeOk, vae } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';

const root = tempRoot('sample-class');
const shapesRun = join(root, 'shapes-run');
const digitsRun = join(root, 'digits-run');

/** A 12x12 PNG: a square of `rgb` on white, placed by `i`. */
function writeShape(path: string, rgb: [number, number, number], i: number): void {
  const size = 12;
  const png = new PNG({ width: size, height: size });
  const x0 = 1 + (i % 5);
  const y0 = 1 + ((i * 3) % 5);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6;
      png.data.set(inside ? [...rgb, 255] : [255, 255, 255, 255], 4 * (y * size + x));
    }
  }
  writeFileSync(path, PNG.sync.write(png));
}

const SMALL = ['--epochs', '1', '--hidden', '16', '--latent', '2', '--batch-size', '8', '--conditional'];

before(async () => {
  const shapes = join(root, 'shapes');
  for (const [name, rgb] of [['blue', [20, 40, 220]], ['red', [220, 30, 20]]] as const) {
    mkdirSync(join(shapes, name), { recursive: true });
    for (let i = 0; i < 12; i++) writeShape(join(shapes, name, `${name}-${i}.png`), [...rgb], i);
  }
  await vaeOk(['train', '--dataset', `folder:${shapes}`, '--image-size', '12', ...SMALL, '--out', shapesRun], root);
  const idx = writeIdxFolder(join(root, 'idx'), { train: 64, test: 16 });
  await vaeOk(['train', '--dataset', `idx:${idx}`, ...SMALL, '--out', digitsRun], root);
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('--class picks a class by name or by index; a name and its index draw the same images', async () => {
  const draw = async (args: string[], out: string): Promise<Buffer> => {
    const r = await vaeOk(['sample', '--checkpoint', shapesRun, '-n', '8', ...args, '--out', out], root);
    assert.doesNotMatch(r.stdout, /digit/i);
    return readFileSync(join(root, out));
  };
  const byName = await draw(['--class', 'red'], 'red.png');
  const byIndex = await draw(['--class', '1'], 'one.png');
  const blue = await draw(['--class', 'blue'], 'blue.png');
  const folded = await draw(['--class', 'RED'], 'folded.png');
  assert.deepEqual(byName, byIndex, 'red is class 1 (classes in name order: blue, red)');
  assert.deepEqual(folded, byName, 'names match whatever their case when only one does');
  assert.notDeepEqual(byName, blue, 'the class changes the images');
  const r = await vaeOk(['sample', '--checkpoint', shapesRun, '-n', '2', '--class', 'red', '--out', 'r2.png'], root);
  assert.match(r.stdout, /of class red/);
});

test('a class the model does not have, --digit on images, or both flags: one clear line, exit 2', async () => {
  assertUserFailure(await vae(['sample', '--checkpoint', shapesRun, '--class', 'green', '--out', 'x.png'], root), /--class green is not a class of this model \(blue, red\)/);
  assertUserFailure(await vae(['sample', '--checkpoint', shapesRun, '--class', '2', '--out', 'x.png'], root), /--class 2 is not a class/);
  assertUserFailure(await vae(['sample', '--checkpoint', shapesRun, '--digit', '1', '--out', 'x.png'], root), /--digit is for digit data.*--class/);
  assertUserFailure(await vae(['sample', '--checkpoint', shapesRun, '--class', 'red', '--digit', '1', '--out', 'x.png'], root), /not both/);
});

test('on digit data --digit keeps working and means the same as --class', async () => {
  await vaeOk(['sample', '--checkpoint', digitsRun, '-n', '4', '--digit', '3', '--out', 'd3.png'], root);
  await vaeOk(['sample', '--checkpoint', digitsRun, '-n', '4', '--class', '3', '--out', 'c3.png'], root);
  assert.deepEqual(readFileSync(join(root, 'd3.png')), readFileSync(join(root, 'c3.png')));
});

test('--digit on a model of images without classes says it needs a conditional model, not to use --class', async () => {
  const plain = join(root, 'shapes-plain');
  await vaeOk(['train', '--dataset', `folder:${join(root, 'shapes')}`, '--image-size', '12', ...SMALL.filter((f) => f !== '--conditional'), '--out', plain], root);
  assertUserFailure(await vae(['sample', '--checkpoint', plain, '--digit', '1', '--out', 'x.png'], root), /^vae sample: --digit needs a conditional model \(train one with --conditional\)$/);
});
