/**
 * `vae serve` and `vae train --ui/--port` as a user meets them. Mistakes are one line and exit
 * code 2 (run in-process); a good start prints the URL, serves, and stops cleanly on Ctrl-C (a
 * real process, since signals are the subject).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainingState, saveCheckpoint } from '../src/train/checkpoint.js';
import { assertUserFailure, startVae, vae } from './support/cli.js';
import { tempRoot, tinyConfig } from './support/tiny.js';

let root: string;
let runDir: string;

before(() => {
  root = tempRoot('serve-cli');
  runDir = join(root, 'run');
  mkdirSync(runDir);
  saveCheckpoint(runDir, createTrainingState(tinyConfig()));
  writeFileSync(join(root, 'broken.safetensors'), 'not a checkpoint at all');
});
after(() => rmSync(root, { recursive: true, force: true }));

async function assertUserError(args: string[], pattern: RegExp): Promise<void> {
  assertUserFailure(await vae(args, root), pattern);
}

test('mistakes are one line and exit code 2', async () => {
  await assertUserError(['serve'], /give one of --checkpoint DIR or --run DIR/);
  await assertUserError(['serve', '--run', runDir, '--checkpoint', runDir], /give one of/);
  await assertUserError(['serve', '--run', join(root, 'missing')], /--run needs a run folder/);
  await assertUserError(['serve', '--checkpoint', join(root, 'broken.safetensors')], /not a valid safetensors file/);
  await assertUserError(['serve', '--run', runDir, '--port', '70000'], /--port/);
  await assertUserError(['train', '--port', '9000'], /--port is for the dashboard server; add --ui/);

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    // In-process too: the blocker listens in this very process, as another program would.
    assertUserFailure(await vae(['serve', '--run', runDir, '--port', String(port)], root), new RegExp(`port ${port} is already in use; choose another with --port`));
  } finally {
    blocker.close();
  }
});

test('vae serve prints its URL, serves the run, and stops on Ctrl-C with exit code 0', async () => {
  const serve = startVae(['serve', '--run', runDir, '--port', '0'], root, /explorer at (http:\/\/127\.0\.0\.1:\d+\/)/);
  try {
    const url = await serve.ready;
    const info = (await (await fetch(new URL('/api/info', url))).json()) as { live: boolean; model: { epoch: number; config: { latent: number } } };
    assert.equal(info.live, false);
    assert.equal(info.model.config.latent, 2);
    // No live training here: no event stream, no stop button.
    assert.equal((await fetch(new URL('/api/events', url))).status, 404);
    assert.equal((await fetch(new URL('/live', url))).status, 404);
    assert.equal(await serve.stop(), 0, serve.output());
  } finally {
    if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
  }
});
