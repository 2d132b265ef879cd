/** The run header's length in the singular where it is one: "1 step (1 epoch of 1 batch)". */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('run-header-words');
after(() => rmSync(root, { recursive: true, force: true }));

test('a run of one step says "1 step (1 epoch of 1 batch)"', async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 20, size: 16 });
  const r = await vaeOk(['train', '--dataset', 'folder:shapes', '--hidden', '16', '--latent', '2', '--steps', '1', '--out', 'run'], root);
  assert.match(r.stdout, /^training: 1 step \(1 epoch of 1 batch\), batch 128/m);
});
