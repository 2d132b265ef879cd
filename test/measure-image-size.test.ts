/**
 * vae measure takes a folder's images at the size, fit and split a run would: --image-size,
 * --fit, --channels, --test-fraction and --seed, refused for datasets they do not apply to.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vae, vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('measure-image-size');
after(() => rmSync(root, { recursive: true, force: true }));

function rows(file: string): Array<Record<string, number>> {
  const [header, ...lines] = readFileSync(join(root, file), 'utf8').trimEnd().split('\n');
  const names = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, Number(v)])));
}

test('a folder measured at --image-size 12x24 gives centroids in a 12-high, 24-wide image', async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 40, size: 24 });
  await vaeOk(['measure', '--dataset', 'folder:shapes', '--image-size', '12x24', '--split', 'train', '--out', 'wide.csv'], root);
  const wide = rows('wide.csv');
  // 40 images: a new run would hold out 10 (16 wanted, at most a quarter), so 30 are the train split.
  assert.equal(wide.length, 30);
  assert.ok(wide.every((r) => r.centroid_y! >= 0 && r.centroid_y! <= 12), 'a centroid below the 12-pixel height');
  assert.ok(wide.some((r) => r.centroid_x! > 14), 'no centroid beyond 14 pixels across: not 24 wide');
  // The split follows --test-fraction, as training's does.
  await vaeOk(['measure', '--dataset', 'folder:shapes', '--test-fraction', '0.5', '--seed', '3', '--out', 'half.csv'], root);
  assert.equal(rows('half.csv').length, 20);
});

test('--image-size for a dataset of fixed size is refused in one line, and nothing is written', async () => {
  const r = await vae(['measure', '--dataset', 'mnist', '--image-size', '32', '--out', 'mnist.csv'], root);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^vae measure: --image-size applies to folder: and emoji datasets/);
  assert.equal(existsSync(join(root, 'mnist.csv')), false);
});
