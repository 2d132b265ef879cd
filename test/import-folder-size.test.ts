/**
 * vae import of a model trained on a folder at an --image-size other than the default: the
 * folder is read again at the model's size, so the imported run evaluates as the original did.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vae, vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('import-folder-size');
after(() => rmSync(root, { recursive: true, force: true }));

const nelbo = (stdout: string): string => /test NELBO ([\d.]+)/.exec(stdout)?.[1] ?? `no NELBO in: ${stdout}`;

test('a folder model of 16x8 images imports with its folder and evaluates as the original', async () => {
  writeShapesFolder(join(root, 'shapes'), { count: 20, size: 24 });
  const small = ['--hidden', '16', '--latent', '2', '--steps', '2'];
  await vaeOk(['train', '--dataset', 'folder:shapes', '--image-size', '16x8', ...small, '--out', 'run'], root);
  await vaeOk(['export', '--checkpoint', 'run', '--out', 'run.safetensors'], root);
  await vaeOk(['import', '--from', 'run.safetensors', '--out', 'imported', '--dataset', 'folder:shapes'], root);
  const config = JSON.parse(readFileSync(join(root, 'imported', 'config.json'), 'utf8')) as { model: { imageHeight: number; imageWidth: number }; training: { fit?: string } };
  assert.deepEqual([config.model.imageHeight, config.model.imageWidth], [16, 8]);
  // Recorded, so later commands crop as the import did rather than stretch as runs without it did.
  assert.equal(config.training.fit, 'crop');
  const original = await vaeOk(['eval', '--checkpoint', 'run'], root);
  const imported = await vaeOk(['eval', '--checkpoint', 'imported'], root);
  assert.equal(nelbo(imported.stdout), nelbo(original.stdout));
});

test('importing with data of another shape says to name the data with --dataset', async () => {
  const r = await vae(['import', '--from', 'run.safetensors', '--out', 'imported-mnist'], root);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /the model takes 3-channel 16x8 images, mnist has grey 28x28 images; name the model's data with --dataset/);
});
