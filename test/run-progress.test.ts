/**
 * The progress listener of a run: its bar is made when the first batch of an epoch or report
 * period has already finished, so its rate must count that batch's time as well as its images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressListener } from '../src/run/progress.js';
import type { ProgressSink } from '../src/train/progress.js';

test("the first progress line of a period gives the first batch's rate, not that batch over no time", () => {
  const lines: string[] = [];
  const sink: ProgressSink = { isTTY: false, write: (s) => void lines.push(s) };
  const listener = progressListener(sink, { write: () => undefined }, 500, 1000);
  // The trainer says: 128 images in the 0.1 s since the period began (one plain line per batch of 10).
  listener.step?.({ epoch: 495, batch: 0, batchesPerEpoch: 2, step: 989, loss: 800, runningLoss: 800, samplesDone: 128, elapsed: 0.1, period: { batch: 0, batches: 10, firstEpoch: 495 } });
  assert.equal(lines.length, 1, lines.join(''));
  const rate = Number(/(\d+) samples\/s/.exec(lines[0]!)?.[1]);
  // 1280 samples/s, a little less for the microseconds between the step and the bar.
  assert.ok(rate > 1000 && rate <= 1280, `rate ${rate} in: ${lines[0]}`);
});

test('a bar over a report period of several epochs names them all; an epoch of its own reads as before', () => {
  const lines: string[] = [];
  const sink: ProgressSink = { isTTY: false, write: (s) => void lines.push(s) };
  const listener = progressListener(sink, { write: () => undefined }, 500, 1000);
  // 180 images in batches of 128: 2 batches an epoch, 13 epochs a report: epochs 14 to 26.
  listener.step?.({ epoch: 14, batch: 0, batchesPerEpoch: 2, step: 27, loss: 900, runningLoss: 900, samplesDone: 128, elapsed: 0.01, period: { batch: 0, batches: 26, firstEpoch: 14 } });
  listener.step?.({ epoch: 14, batch: 1, batchesPerEpoch: 2, step: 28, loss: 900, runningLoss: 900, samplesDone: 180, elapsed: 0.02, period: { batch: 1, batches: 26, firstEpoch: 14 } });
  listener.step?.({ epoch: 15, batch: 0, batchesPerEpoch: 2, step: 29, loss: 900, runningLoss: 900, samplesDone: 308, elapsed: 0.03, period: { batch: 2, batches: 26, firstEpoch: 14 } });
  assert.match(lines.join(''), /^epochs 14-26\/500 +3\/26 batches/);
  lines.length = 0;
  const plain = progressListener(sink, { write: () => undefined }, 10);
  for (let b = 0; b < 10; b++) plain.step?.({ epoch: 3, batch: b, batchesPerEpoch: 10, step: 20 + b, loss: 100, runningLoss: 100, samplesDone: 128 * (b + 1), elapsed: 0.01 * (b + 1) });
  assert.match(lines[0]!, /^epoch 3\/10 +1\/10 batches/);
});
