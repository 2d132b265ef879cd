/** vae serve --checkpoint of a run folder with factors says that --run would give the page the run's factor names. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVae, vaeOk } from './support/cli.js';
import { TINY_FLAGS, tempRoot } from './support/tiny.js';

const root = tempRoot('serve-checkpoint-hint');
after(() => rmSync(root, { recursive: true, force: true }));

const HINT = /vae serve: serving the model only; --run run also gives the page the run's factor names and figures/;

async function serveOutput(args: string[]): Promise<string> {
  const serve = startVae(['serve', ...args, '--port', '0'], root, /(train a new model in the browser at \S+)/);
  try {
    await serve.ready;
    // The hint follows the addresses; give it a moment to arrive.
    for (let i = 0; i < 20 && !HINT.test(serve.stderr()); i++) await sleep(50);
    return serve.stderr();
  } finally {
    await serve.stop();
  }
}

test('--checkpoint of a run folder with factors.json hints at --run; --run does not', async () => {
  await vaeOk(['train', ...TINY_FLAGS, '--out', 'run'], root);
  assert.ok(existsSync(join(root, 'run', 'factors.json')));
  assert.match(await serveOutput(['--checkpoint', 'run']), HINT);
  assert.doesNotMatch(await serveOutput(['--run', 'run']), /serving the model only/);
});
