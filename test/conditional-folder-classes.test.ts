/** --conditional on a folder without class folders says the images have no classes, not "1". */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vae } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('conditional-folder-classes');
after(() => rmSync(root, { recursive: true, force: true }));

test('a flat folder is refused for --conditional as having no class folders; one class folder as having 1 class', async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 20, size: 16 });
  // shapes/circle holds its images directly: a folder without classes.
  const flat = await vae(['train', '--dataset', 'folder:shapes/circle', '--conditional', '--steps', '1', '--out', 'flat'], root);
  assert.equal(flat.status, 2);
  assert.equal(flat.stderr, 'vae train: --conditional needs labelled data with at least two classes; circle has none: its images are not in class folders\n');
  assert.equal(existsSync(join(root, 'flat')), false);
  rmSync(join(root, 'shapes', 'square'), { recursive: true });
  const one = await vae(['train', '--dataset', 'folder:shapes', '--conditional', '--steps', '1', '--out', 'one'], root);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /^vae train: --conditional needs labelled data with at least two classes; shapes has 1\n$/);
});
