/**
 * The latent space seen two ways: where the test images land (each a point colored by its
 * label), and what the decoder draws at every point of a grid over the plane.
 */
import { Tensor } from '../engine/tensor.js';
import { imageGrid } from './grid.js';
import { gaussianGrid } from './gaussian.js';
import { embed, project, type LatentPlane } from './latent-plane.js';
import { classColor, PRIOR_COLOR } from './palette.js';
import { Axes, createFigure, drawImage, figurePng, legend, legendSize, priorCircles, scatter, text } from './plot.js';
import { classLegend, className, testCount, type FigureWords } from './words.js';
import { modelImageShape } from './image-shape.js';
import type { VAE } from '../vae/model.js';
import { decodeDisplayMean } from '../vae/decoded-pixels.js';

/** The title's description of the plane, e.g. "first two principal components of the 20-D latent". */
export function planeDescription(plane: LatentPlane): string {
  if (plane.kind === 'pca') return `first two principal components of the ${plane.latent}-D latent`;
  return plane.latent === 1 ? 'the 1-D latent' : 'the 2-D latent';
}

/**
 * A square data range, the same on both axes so circles stay round, covering all but the
 * farthest 0.2% of points (a few outliers should not shrink the clusters) and at least the
 * prior's 2-sigma circle.
 */
export function squareRange(xs: ArrayLike<number>[], ys: ArrayLike<number>[], minHalf = 2.3): [number, number] {
  const abs: number[] = [];
  for (const arr of [...xs, ...ys]) for (let i = 0; i < arr.length; i++) if (Number.isFinite(arr[i]!)) abs.push(Math.abs(arr[i]!));
  abs.sort((a, b) => a - b);
  const q = abs.length === 0 ? 0 : abs[Math.min(abs.length - 1, Math.floor(0.998 * abs.length))]!;
  const half = Math.max(minHalf, q * 1.06);
  return [-half, half];
}

/** latent_scatter.png: posterior means of the test set, colored by class, named in the legend. */
export function latentScatterFigure(plane: LatentPlane, mu: Float32Array, labels: Uint8Array, count: number, conditional: boolean, words: FigureWords): Uint8Array {
  const { x, y } = project(plane, mu, count);
  const range = squareRange([x], [y]);
  const items = classLegend(words, labels.subarray(0, count), true);
  // Long class names widen the figure rather than run off its edge.
  const fig = createFigure(Math.max(860, 690 + Math.ceil(legendSize(items, { size: 13 }).width) + 20), 720);
  const axes = new Axes(fig.ctx, { x: 90, y: 70, width: 580, height: 580 }, { range, label: plane.xLabel }, { range, label: plane.yLabel });
  axes.grid();
  const colors = Array.from(labels.subarray(0, count), (l) => classColor(l));
  const radius = count > 5000 ? 1.8 : 2.6;
  scatter(axes, x, y, colors, radius, count > 5000 ? 0.55 : 0.75);
  priorCircles(axes, PRIOR_COLOR);
  axes.frame();
  text(fig.ctx, `${testCount(count, words)} in latent space: posterior means ${conditional ? '\u03bc(x, y)' : '\u03bc(x)'}`, 380, 30, { size: 17, bold: true });
  text(fig.ctx, `(${planeDescription(plane)}; circles: 1\u03c3 and 2\u03c3 of the prior N(0, I))`, 380, 52, { size: 13 });
  legend(fig.ctx, items, 690, 70, { size: 13 });
  return figurePng(fig);
}

export const MANIFOLD_SIZE = 20;

/**
 * latent_manifold.png: decoded means over a 20 x 20 grid of the plane, at the Gaussian
 * quantiles (i + 1/2) / 20 in each direction, so the grid covers the prior evenly in
 * probability rather than in distance. Up is the positive second coordinate. A conditional
 * model is decoded as the one class `y` throughout, said in the title (by name, from `words`).
 */
export function latentManifoldFigure(model: VAE, plane: LatentPlane, scale = 2, y?: number, words?: FigureWords): Uint8Array {
  const n = MANIFOLD_SIZE;
  const { latent } = model.config;
  const { channels, height: h, width: w } = modelImageShape(model.config);
  const grid = gaussianGrid(n);
  const xs = grid.map((q) => q * plane.reach[0]);
  const ys = grid.map((q) => q * plane.reach[1]);
  const z = new Float32Array(n * n * latent);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) embed(plane, xs[col]!, ys[n - 1 - row]!, z, (row * n + col) * latent);
  }
  const images = decodeDisplayMean(model, new Tensor(z, [n * n, latent]), y === undefined ? undefined : new Uint16Array(n * n).fill(y));
  const tile = imageGrid(images, n * n, h, w, { cols: n, scale, padding: 0, channels });
  const left = 100;
  const top = 90;
  const fig = createFigure(left + tile.width + 40, top + tile.height + 80);
  drawImage(fig.ctx, tile, left, top);
  const cell = tile.width / n;
  // Axis coordinates span the tile; each column's tick sits at its center, labeled with its value.
  const ticks = (values: number[]): Array<{ value: number; label: string }> => values.map((v, i) => ({ value: i + 0.5, label: v.toFixed(2).replace('-', '\u2212') }));
  const axes = new Axes(
    fig.ctx,
    { x: left, y: top, width: tile.width, height: tile.height },
    { range: [0, n], label: plane.kind === 'pca' ? `${plane.xLabel}: coordinate along v\u2081` : plane.xLabel, tickLabels: ticks(xs) },
    // Rows run top to bottom, values bottom to top.
    { range: [0, n], label: plane.kind === 'pca' ? `${plane.yLabel}: coordinate along v\u2082` : plane.yLabel, tickLabels: ticks(ys) },
  );
  axes.frame({ tickSize: cell >= 50 ? 11 : 9 });
  const where = plane.kind === 'pca' ? `z = a\u00b7v\u2081 + b\u00b7v\u2082 along the ${planeDescription(plane).replace('components', 'directions')}` : planeDescription(plane);
  const given = y === undefined ? 'z' : `z, y = ${words === undefined ? y : className(words, y)}`;
  text(fig.ctx, `The decoder over the latent plane: E[x | ${given}] on a ${n} \u00d7 ${n} grid`, left + tile.width / 2, 32, { size: 17, bold: true });
  const at =
    plane.kind === 'pca'
      ? `grid at the quantiles (i + \u00bd)/${n} of N(0, s\u00b2), s = the codes' RMS along each direction: ${plane.reach[0].toFixed(2)}, ${plane.reach[1].toFixed(2)}`
      : `grid at the N(0, 1) quantiles (i + \u00bd)/${n}`;
  if (plane.kind === 'pca') {
    text(fig.ctx, `(${where};`, left + tile.width / 2, 52, { size: 13 });
    text(fig.ctx, `${at})`, left + tile.width / 2, 70, { size: 13 });
  } else {
    text(fig.ctx, `(${where}; ${at})`, left + tile.width / 2, 58, { size: 13 });
  }
  return figurePng(fig);
}
