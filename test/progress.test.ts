import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpochProgress, formatDuration, type ProgressSink } from '../src/train/progress.js';

class FakeSink implements ProgressSink {
  writes: string[] = [];
  constructor(
    public isTTY: boolean,
    public columns?: number,
  ) {}
  write(s: string): void {
    this.writes.push(s);
  }
  get text(): string {
    return this.writes.join('');
  }
}

function fakeClock(): { now: () => number; set: (ms: number) => void } {
  let t = 0;
  return { now: () => t, set: (ms) => (t = ms) };
}

// Each redraw starts with \r; what follows up to the next \r (minus escape codes) is what the user sees.
function visibleFrames(text: string): string[] {
  return text
    .split('\r')
    .slice(1)
    .map((f) => f.replace(/\x1b\[K/g, ''))
    .filter((f) => f.length > 0);
}

test('formatDuration', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(7), '0:07');
  assert.equal(formatDuration(59.6), '1:00');
  assert.equal(formatDuration(125), '2:05');
  assert.equal(formatDuration(3599), '59:59');
  assert.equal(formatDuration(3600), '1:00:00');
  assert.equal(formatDuration(3 * 3600 + 4 * 60 + 5), '3:04:05');
  assert.equal(formatDuration(-3), '0:00');
  assert.equal(formatDuration(NaN), '?:??');
  assert.equal(formatDuration(Infinity), '?:??');
});

test('TTY: redraws in place with \\r and clear-to-eol, matching the documented layout', () => {
  const sink = new FakeSink(true, 120);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 3, epochs: 10, totalBatches: 469, batchSize: 128, now: clock.now });
  clock.set(5000);
  p.update(312, 104.2149, 40000);
  assert.equal(sink.writes.length, 1);
  const w = sink.writes[0]!;
  assert.ok(w.startsWith('\r'));
  assert.ok(w.endsWith('\x1b[K'));
  assert.ok(!w.includes('\n'));
  // 312/469 of 20 cells = 13.3 -> 13 filled; 40000 samples in 5 s; (5 s / 312) * 157 left = 2.5 s -> 0:03.
  assert.equal(
    visibleFrames(w)[0],
    'epoch 3/10 [#############-------]  312/469  loss 104.21  8000 samples/s  ETA 0:03',
  );
});

test('TTY: never exceeds columns, shrinking the bar and then dropping fields', () => {
  for (const columns of [200, 80, 70, 60, 50, 40, 30, 20, 10, 1]) {
    const sink = new FakeSink(true, columns);
    const clock = fakeClock();
    const p = new EpochProgress({ sink, epoch: 12, epochs: 100, totalBatches: 60000, now: clock.now });
    for (let b = 1; b <= 60000; b += 997) {
      clock.set(b * 3);
      p.update(b, 123456.789, b * 64);
    }
    clock.set(200000);
    p.update(60000, 99.5, 60000 * 64);
    const frames = visibleFrames(sink.text);
    assert.ok(frames.length > 1);
    for (const f of frames) assert.ok(f.length <= columns, `columns=${columns}: ${JSON.stringify(f)} is ${f.length} wide`);
    if (columns >= 80) assert.ok(frames.every((f) => f.includes('[') && f.includes('ETA')), `columns=${columns}`);
  }
});

test('TTY: default width is 80 columns', () => {
  const sink = new FakeSink(true);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 100, epochs: 100, totalBatches: 1000000, now: clock.now });
  clock.set(1);
  p.update(1, 1e9, 1e9);
  const [frame] = visibleFrames(sink.text);
  assert.ok(frame !== undefined && frame.length <= 80 && frame.length > 40);
});

test('TTY: throttled to one redraw per 100 ms, but the last batch always draws', () => {
  const sink = new FakeSink(true, 80);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 1, epochs: 1, totalBatches: 10, now: clock.now });
  const times = [0, 30, 60, 99, 100, 150, 199, 250, 260, 270]; // batch i+1 finishes at times[i]
  times.forEach((t, i) => {
    clock.set(t);
    p.update(i + 1, 1, (i + 1) * 10);
  });
  const frames = visibleFrames(sink.text);
  // Drawn: batch 1 (t=0), 5 (t=100), 8 (t=250), and 10 (last, t=270, only 20 ms after the previous draw).
  assert.deepEqual(
    frames.map((f) => f.match(/ (\d+)\/10 /)![1]),
    ['1', '5', '8', '10'],
  );
  assert.ok(frames[3]!.includes('[####################]'));
});

test('TTY: finish clears the bar and prints the summary on its own line', () => {
  const sink = new FakeSink(true, 80);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 1, epochs: 2, totalBatches: 2, now: clock.now });
  clock.set(10);
  p.update(2, 5, 20);
  p.finish('epoch 1/2  loss 5.00  1.0s');
  assert.equal(sink.writes.at(-1), '\r\x1b[Kepoch 1/2  loss 5.00  1.0s\n');
  p.update(2, 5, 20); // ignored after finish
  assert.equal(sink.writes.length, 2);
});

test('non-TTY: plain lines every plainEvery batches, no \\r or escape codes, then the summary', () => {
  const sink = new FakeSink(false, 80);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 3, epochs: 10, totalBatches: 469, now: clock.now });
  for (let b = 1; b <= 469; b++) {
    clock.set(b * 16); // 16 ms per batch of 128 samples = 8000 samples/s
    p.update(b, 100 + 1 / b, b * 128);
  }
  p.finish('epoch 3/10 done  loss 100.00');
  const text = sink.text;
  assert.ok(!text.includes('\r'));
  assert.ok(!text.includes('\x1b'));
  const lines = text.split('\n');
  assert.equal(lines.pop(), ''); // ends with a newline
  // Default plainEvery = round(469 / 10) = 47: batches 47, 94, ..., 423 (9 lines), then the summary.
  assert.equal(lines.length, 10);
  assert.equal(lines.at(-1), 'epoch 3/10 done  loss 100.00');
  // At batch 47: t = 752 ms, 6016 samples -> 8000/s; ETA = (0.752 / 47) * 422 = 6.752 s -> 0:07.
  assert.equal(lines[0], 'epoch 3/10   47/469 batches  loss 100.02  8000 samples/s  ETA 0:07');
  assert.match(lines[8]!, /^epoch 3\/10  423\/469 batches /);
});

test('non-TTY: explicit plainEvery and skipped batches', () => {
  const sink = new FakeSink(false);
  const clock = fakeClock();
  const p = new EpochProgress({ sink, epoch: 1, epochs: 1, totalBatches: 100, now: clock.now, plainEvery: 25 });
  // Updates every 7 batches still produce one line per crossed multiple of 25.
  for (let b = 7; b <= 100; b += 7) p.update(b, 1, b);
  p.update(100, 1, 100);
  const lines = sink.text.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => l.match(/(\d+)\/100/)![1]),
    ['28', '56', '77', '100'],
  );
});

test('ETA and samples/s for a known timeline, and unknown before any time passes', () => {
  const sink = new FakeSink(false);
  const clock = fakeClock();
  clock.set(1000); // construction at t=1 s: rates count from here, not from 0
  const p = new EpochProgress({ sink, epoch: 2, epochs: 5, totalBatches: 1000, now: clock.now, plainEvery: 100 });
  clock.set(1000);
  p.update(100, 50, 6400); // no time elapsed yet
  clock.set(1000 + 20_000);
  p.update(200, 40, 12_800); // 12800 samples in 20 s = 640/s; 20 s / 200 * 800 = 80 s -> 1:20
  clock.set(1000 + 3_000_000);
  p.update(300, 30, 19_200); // 3000 s / 300 * 700 = 7000 s -> 1:56:40; 6.4/s rounds to 6
  const lines = sink.text.trimEnd().split('\n');
  assert.equal(lines[0], 'epoch 2/5   100/1000 batches  loss 50.00  ? samples/s  ETA ?:??');
  assert.equal(lines[1], 'epoch 2/5   200/1000 batches  loss 40.00  640 samples/s  ETA 1:20');
  assert.equal(lines[2], 'epoch 2/5   300/1000 batches  loss 30.00  6 samples/s  ETA 1:56:40');
});
