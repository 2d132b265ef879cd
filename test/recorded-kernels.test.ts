/**
 * A run records the kernels it really computed on, however they were chosen: the library's
 * lazy `auto` pick (the config from defaultRunConfig() says nothing of it), or useKernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTrainingState, describeKernels, runData, selectKernels, train, useKernels } from '../src/index.js';
import { mnistOnce, tinyConfig } from './support/tiny.js';

async function trainedKernels(): Promise<string> {
  const config = tinyConfig();
  config.kernels = 'not filled in';
  const state = createTrainingState(config);
  await train(state, runData(mnistOnce(), config.training));
  return state.config.kernels;
}

test('the library records the kernels auto picked on first use, with their details', async () => {
  const recorded = await trainedKernels();
  // Asked again, auto picks the same provider (the addon loads once), so the words must agree.
  assert.equal(recorded, describeKernels(selectKernels('auto')));
  assert.match(recorded, /^(native \(|wasm \(|js$)/);
});

test('a run on kernels chosen with useKernels records those', async (t) => {
  t.after(() => useKernels('js'));
  useKernels('wasm');
  assert.match(await trainedKernels(), /^wasm \(\d+ threads?\)$/);
  useKernels('js');
  assert.equal(await trainedKernels(), 'js');
});
