/**
 * The commands that look at a trained run on its own data (eval, report, reconstruct, and the
 * explorer's map of the test set) refuse a folder dataset that changed since training, in one
 * line with exit 2, rather than quietly using another split; unchanged, they run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../src/viz/png.js';
import { UserError } from '../src/errors.js';
import { CHECKPOINT_FILE } from '../src/train/checkpoint.js';
import { RunSource } from '../src/server/run-source.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';

const root = tempRoot('changed-folder');
const folder = join(root, 'images');
const run = join(root, 'run');
after(() => rmSync(root, { recursive: true, force: true }));

function png(seed: number): Uint8Array {
  const pixels = new Uint8Array(64);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + seed * 11) % 256;
  return encodePng({ width: 8, height: 8, channels: 1, pixels });
}

function writeClass(name: string, count: number): void {
  mkdirSync(join(folder, name), { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(folder, name, `${i}.png`), png(i));
}

const LOOKS = [
  ['eval', '--checkpoint', run],
  ['report', '--checkpoint', run, '--out', join(root, 'report')],
  ['reconstruct', '--checkpoint', run, '--count', '2', '--out', join(root, 'recon.png')],
];

before(async () => {
  writeClass('0', 6);
  writeClass('1', 6);
  await vaeOk(['train', '--dataset', `folder:${folder}`, '--image-size', '8', '--epochs', '1', '--hidden', '4', '--latent', '2', '--batch-size', '4', '--out', run]);
});

test('on the folder the run was trained on, eval, report and reconstruct run', async () => {
  for (const args of LOOKS) await vaeOk(args);
});

test('after the folder changed, each says so in one line and exits 2; so does the explorer', async () => {
  writeClass('2', 2);
  try {
    for (const args of LOOKS) {
      assertUserFailure(await vae(args), new RegExp(`has changed since the run began \\(12 images then, 14 now; class folder 2 added\\); vae ${args[0]} would look at other images than the run's`));
    }
    const source = new RunSource(join(run, CHECKPOINT_FILE), run);
    const loaded = source.model();
    assert.ok(loaded !== null);
    await assert.rejects(source.encodings(loaded), (err: unknown) => err instanceof UserError && /has changed since the run began/.test(err.message));
    // Named as another dataset, the folder as it is now is evaluated whole.
    await vaeOk(['eval', '--checkpoint', run, '--dataset', `folder:${folder}`]);
  } finally {
    rmSync(join(folder, '2'), { recursive: true });
  }
});
