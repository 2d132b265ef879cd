/** The last line of `vae train` (the final test NELBO, and its bits/dim for a discretized logistic decoder) and the first of `vae eval`. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { vaeOk } from './support/cli.js';
import { TINY_FLAGS, tempRoot } from './support/tiny.js';

const root = tempRoot('done-line');
after(() => rmSync(root, { recursive: true, force: true }));

test('a logistic run ends with its test NELBO in nats and in bits/dim, the same as its last epoch line', async () => {
  const r = await vaeOk(['train', ...TINY_FLAGS, '--likelihood', 'logistic', '--out', 'logistic'], root);
  const epochLine = /test [\d.]+ \(.*\) nats = ([\d.]+) bits\/dim/.exec(r.stdout);
  assert.ok(epochLine, r.stdout);
  assert.match(r.stdout, new RegExp(`^done: 1 epoch, test NELBO [\\d.]+ nats = ${epochLine[1]!.replace('.', '\\.')} bits/dim, training time`, 'm'));
});

test('a Bernoulli run ends with nats only', async () => {
  const r = await vaeOk(['train', ...TINY_FLAGS, '--out', 'bernoulli'], root);
  assert.match(r.stdout, /^done: 1 epoch, test NELBO [\d.]+ nats, training time/m);
});

test('vae eval of a one-epoch run says "after 1 epoch"', async () => {
  const r = await vaeOk(['eval', '--checkpoint', 'bernoulli'], root);
  assert.match(r.stdout, /over 128 mnist test images, after 1 epoch$/m);
});
