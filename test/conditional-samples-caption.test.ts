/** The report of a conditional run names the classes of the sample grid's rows, which the grid itself cannot. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('conditional-samples-caption');
after(() => rmSync(root, { recursive: true, force: true }));

test("a conditional run's samples caption names its rows from the top: circle, square", async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 20, size: 16 });
  await vaeOk(['train', '--dataset', 'folder:shapes', '--conditional', '--hidden', '16', '--latent', '2', '--steps', '2', '--out', 'run'], root);
  const html = readFileSync(join(root, 'run', 'report.html'), 'utf8');
  assert.match(html, /each row one class y, decoded to E\[x\|z, y\]: the label sets the class, z the style\. Rows from the top: circle, square\./);
});
