/**
 * How the posterior moves during training: the same test digits encoded at each snapshot,
 * drawn on the same axes with the prior's 1-sigma and 2-sigma circles. At step 0 the untrained
 * encoder maps every digit near the origin; the KL term then holds the codes near N(0, I)
 * while the reconstruction term pulls the digits apart.
 */
import { encodeGif } from './gif.js';
import { project, type LatentPlane } from './latent-plane.js';
import { digitLegend, planeDescription, squareRange } from './latent-figures.js';
import { classColor, PRIOR_COLOR } from './palette.js';
import { Axes, createFigure, figurePng, figureRgb, legend, priorCircles, scatter, text, type Context } from './plot.js';
import { snapshotEpoch, type LatentSnapshots } from '../train/snapshots.js';

/** Frames in the strip: at most this many, spread evenly over the snapshots. */
export const STRIP_FRAMES = 8;

interface Projected {
  x: Float64Array[];
  y: Float64Array[];
  range: [number, number];
  colors: string[];
}

function projectAll(plane: LatentPlane, record: LatentSnapshots): Projected {
  const x: Float64Array[] = [];
  const y: Float64Array[] = [];
  for (const s of record.snapshots) {
    const p = project(plane, s.mu, record.count);
    x.push(p.x);
    y.push(p.y);
  }
  return { x, y, range: squareRange(x, y), colors: Array.from(record.labels, (l) => classColor(l)) };
}

/** "step 117 (epoch 0.25)" */
export function snapshotLabel(record: LatentSnapshots, index: number): string {
  const s = record.snapshots[index]!;
  const epoch = snapshotEpoch(s, record.batchesPerEpoch);
  const e = Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2);
  return s.step === 0 ? 'before training (step 0)' : `epoch ${e} (step ${s.step})`;
}

/** Indices of up to `max` snapshots, evenly spread, always the first and the last. */
export function evenlySpread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out];
}

function panel(ctx: Context, box: { x: number; y: number; width: number; height: number }, plane: LatentPlane, p: Projected, i: number, title: string, small: boolean): void {
  const axes = new Axes(ctx, box, { range: p.range, label: plane.xLabel }, { range: p.range, label: plane.yLabel });
  axes.grid();
  scatter(axes, p.x[i]!, p.y[i]!, p.colors, small ? 1.7 : 2.4, 0.75);
  priorCircles(axes, PRIOR_COLOR);
  axes.frame({ title, titleSize: small ? 13 : 15, tickSize: small ? 10 : 12, labelSize: small ? 11 : 13 });
}

/** latent_evolution.png: a strip of up to 8 snapshots, left to right, top to bottom. */
export function evolutionStripFigure(plane: LatentPlane, record: LatentSnapshots): Uint8Array {
  if (record.snapshots.length === 0) throw new RangeError('evolutionStripFigure: no snapshots');
  const p = projectAll(plane, record);
  const picks = evenlySpread(record.snapshots.length, STRIP_FRAMES);
  const cols = picks.length <= 4 ? picks.length : Math.ceil(picks.length / 2);
  const rows = Math.ceil(picks.length / cols);
  const size = 250;
  const cellW = size + 80;
  const cellH = size + 90;
  const top = 80;
  const fig = createFigure(cols * cellW + 30, top + rows * cellH + 50);
  picks.forEach((idx, k) => {
    const box = { x: 70 + (k % cols) * cellW, y: top + 30 + Math.floor(k / cols) * cellH, width: size, height: size };
    panel(fig.ctx, box, plane, p, idx, snapshotLabel(record, idx), true);
  });
  text(fig.ctx, `The posterior during training: ${record.count.toLocaleString('en-US')} test digits' \u03bc(x) at ${picks.length} points of training`, fig.width / 2, 30, { size: 17, bold: true });
  text(fig.ctx, `(${planeDescription(plane)}; same axes in every frame; circles: 1\u03c3 and 2\u03c3 of N(0, I))`, fig.width / 2, 54, { size: 13 });
  legend(fig.ctx, digitLegend(10, true), 20, fig.height - 38, { size: 12, columns: 12 });
  return figurePng(fig);
}

/** latent_evolution.gif: every snapshot as one frame, the last held longer. */
export function evolutionGif(plane: LatentPlane, record: LatentSnapshots): Uint8Array {
  if (record.snapshots.length === 0) throw new RangeError('evolutionGif: no snapshots');
  const p = projectAll(plane, record);
  const width = 720;
  const height = 600;
  const frames = record.snapshots.map((_, i) => {
    const fig = createFigure(width, height);
    panel(fig.ctx, { x: 80, y: 80, width: 460, height: 460 }, plane, p, i, snapshotLabel(record, i), false);
    text(fig.ctx, `The posterior during training (${planeDescription(plane)})`, 310, 30, { size: 16, bold: true });
    legend(fig.ctx, digitLegend(10, true), 560, 80, { size: 12 });
    return { rgb: figureRgb(fig), delay: i === record.snapshots.length - 1 ? 250 : 80 };
  });
  return encodeGif(width, height, frames);
}
