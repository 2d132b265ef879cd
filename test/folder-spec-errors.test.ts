/** folder: given a single image says it takes a folder; a path that is not there says so. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserFailure, vae } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('folder-spec-errors');
after(() => rmSync(root, { recursive: true, force: true }));

test('folder: naming one image is refused as a file, a missing path as not found, and no run folder is made', async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 4, size: 8 });
  const file = await vae(['train', '--dataset', 'folder:shapes/circle/0000.png', '--steps', '1', '--out', 'one'], root);
  assertUserFailure(file, /^vae: folder:shapes\/circle\/0000\.png is a file; folder: takes a folder of images/);
  assertUserFailure(await vae(['train', '--dataset', 'folder:nowhere', '--steps', '1', '--out', 'two'], root), /^vae: image folder not found: nowhere$/);
  assert.equal(existsSync(join(root, 'one')) || existsSync(join(root, 'two')), false);
});
