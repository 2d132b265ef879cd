/** loss_curves.png: the negative ELBO and its two terms per epoch, on training and test data. */
import { niceTicks, padRange } from './ticks.js';
import { TEST_COLOR, TRAIN_COLOR } from './palette.js';
import { Axes, createFigure, figurePng, legend, line, text } from './plot.js';
import type { EpochMetrics } from '../train/trainer.js';

const PANELS: Array<{ title: string; train: keyof EpochMetrics; test: keyof EpochMetrics }> = [
  { title: 'negative ELBO', train: 'train_nelbo', test: 'test_nelbo' },
  { title: 'reconstruction \u2212log p(x|z)', train: 'train_recon', test: 'test_recon' },
  { title: 'KL(q(z|x) \u2016 N(0, I))', train: 'train_kl', test: 'test_kl' },
];

export function lossCurvesFigure(history: EpochMetrics[]): Uint8Array {
  if (history.length === 0) throw new RangeError('lossCurvesFigure: no epochs');
  const epochs = history.map((m) => m.epoch);
  const first = epochs[0]!;
  const last = epochs[epochs.length - 1]!;
  // One epoch still gets an axis around its single point.
  const xRange: [number, number] = last > first ? padRange(first, last, 0.04) : [first - 1, first + 1];
  const xTicks = niceTicks(xRange[0], xRange[1], 6);
  const integerTicks = { values: xTicks.values.filter((v) => Number.isInteger(v) && v >= 1), step: Math.max(1, xTicks.step) };
  const cellW = 400;
  const fig = createFigure(PANELS.length * cellW + 40, 500);
  PANELS.forEach((p, i) => {
    const train = history.map((m) => m[p.train] as number);
    const test = history.map((m) => m[p.test] as number);
    const all = [...train, ...test].filter(Number.isFinite);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    const axes = new Axes(
      fig.ctx,
      { x: 95 + i * cellW, y: 120, width: cellW - 120, height: 290 },
      { range: xRange, label: 'epoch', ticks: integerTicks },
      { range: padRange(lo, hi, 0.08), label: 'nats per example' },
    );
    axes.grid();
    line(axes, epochs, train, TRAIN_COLOR, { markers: true });
    line(axes, epochs, test, TEST_COLOR, { dashed: true, markers: true });
    axes.frame({ title: p.title });
  });
  text(fig.ctx, 'Training curves: the loss is the negative ELBO = reconstruction + KL', fig.width / 2, 32, { size: 17, bold: true });
  legend(fig.ctx, [
    { label: 'train (mean over the epoch)', color: TRAIN_COLOR, kind: 'line' },
    { label: 'test (after the epoch)', color: TEST_COLOR, kind: 'dashed' },
  ], fig.width / 2 - 210, 50, { size: 12, columns: 2 });
  return figurePng(fig);
}
