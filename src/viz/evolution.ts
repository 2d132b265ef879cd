/**
 * How the posterior moves during training: the same test images encoded at each snapshot,
 * drawn on the same axes with the prior's 1-sigma and 2-sigma circles. At step 0 the untrained
 * encoder maps every image near the origin; the KL term then holds the codes near N(0, I)
 * while the reconstruction term pulls the classes apart.
 */
import { encodeGif } from './gif.js';
import { project, type LatentPlane } from './latent-plane.js';
import { planeDescription, squareRange } from './latent-figures.js';
import { classColor, PRIOR_COLOR } from './palette.js';
import { Axes, createFigure, figurePng, figureRgb, legend, legendSize, priorCircles, scatter, text, type Context } from './plot.js';
import { MAX_SNAPSHOTS, snapshotEpoch, type LatentSnapshots } from '../train/snapshots.js';
import { classLegend, testCount, type FigureWords } from './words.js';

/** Frames in the strip: at most this many, spread evenly over the snapshots. */
export const STRIP_FRAMES = 8;

/**
 * Frames of the animation at most: a long run records at most this many snapshots anyway,
 * and a file from a run whose length changed on resume may hold a few more.
 */
export const GIF_FRAMES = MAX_SNAPSHOTS;

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
export function evolutionStripFigure(plane: LatentPlane, record: LatentSnapshots, words: FigureWords): Uint8Array {
  if (record.snapshots.length === 0) throw new RangeError('evolutionStripFigure: no snapshots');
  const p = projectAll(plane, record);
  const picks = evenlySpread(record.snapshots.length, STRIP_FRAMES);
  const cols = picks.length <= 4 ? picks.length : Math.ceil(picks.length / 2);
  const rows = Math.ceil(picks.length / cols);
  const size = 250;
  const cellW = size + 80;
  const cellH = size + 90;
  const top = 80;
  const width = cols * cellW + 30;
  const items = classLegend(words, record.labels, true);
  // One legend row across the bottom; long class names wrap it onto more rows.
  let legendRows = 1;
  while (legendRows < items.length && legendSize(items, { size: 12, columns: Math.ceil(items.length / legendRows) }).width > width - 40) legendRows++;
  const columns = Math.ceil(items.length / legendRows);
  const legendHeight = Math.ceil(legendSize(items, { size: 12, columns }).height);
  const fig = createFigure(width, top + rows * cellH + 23 + legendHeight);
  picks.forEach((idx, k) => {
    const box = { x: 70 + (k % cols) * cellW, y: top + 30 + Math.floor(k / cols) * cellH, width: size, height: size };
    panel(fig.ctx, box, plane, p, idx, snapshotLabel(record, idx), true);
  });
  text(fig.ctx, `The posterior during training: ${testCount(record.count, words)}' \u03bc(x) at ${picks.length} points of training`, fig.width / 2, 30, { size: 17, bold: true });
  text(fig.ctx, `(${planeDescription(plane)}; same axes in every frame; circles: 1\u03c3 and 2\u03c3 of N(0, I))`, fig.width / 2, 54, { size: 13 });
  legend(fig.ctx, items, 20, fig.height - 11 - legendHeight, { size: 12, columns });
  return figurePng(fig);
}

/** latent_evolution.gif: one frame per snapshot (at most GIF_FRAMES, spread evenly), the last held longer. */
export function evolutionGif(plane: LatentPlane, record: LatentSnapshots, words: FigureWords): Uint8Array {
  if (record.snapshots.length === 0) throw new RangeError('evolutionGif: no snapshots');
  const p = projectAll(plane, record);
  const items = classLegend(words, record.labels, true);
  const width = Math.max(720, 560 + Math.ceil(legendSize(items, { size: 12 }).width) + 10);
  const height = 600;
  const picks = evenlySpread(record.snapshots.length, GIF_FRAMES);
  const frames = picks.map((i, k) => {
    const fig = createFigure(width, height);
    panel(fig.ctx, { x: 80, y: 80, width: 460, height: 460 }, plane, p, i, snapshotLabel(record, i), false);
    text(fig.ctx, `The posterior during training (${planeDescription(plane)})`, 310, 30, { size: 16, bold: true });
    legend(fig.ctx, items, 560, 80, { size: 12 });
    return { rgb: figureRgb(fig), delay: k === picks.length - 1 ? 250 : 80 };
  });
  return encodeGif(width, height, frames);
}
