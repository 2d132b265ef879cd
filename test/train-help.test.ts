/** vae train --help describes --kernels as every other command does: auto falls back to wasm, then js. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vaeOk } from './support/cli.js';

test('the --kernels line of vae train --help is the one of vae eval --help', async () => {
  const line = (help: string): string => help.split('\n').find((l) => l.trimStart().startsWith('--kernels'))!.trim().replace(/\s+/g, ' ');
  const train = line((await vaeOk(['train', '--help'])).stdout);
  assert.match(train, /wasm \(WebAssembly SIMD\)/);
  assert.equal(train, line((await vaeOk(['eval', '--help'])).stdout));
});
