/**
 * The latent marginals against the prior: histograms of z ~ q(z|x) over the snapshot's test
 * images (the aggregate posterior), one latent dimension per row, at the start, middle and end
 * of training, each over the N(0, 1) density. The KL term pulls each q(z|x) toward N(0, 1);
 * when the aggregate matches the prior, samples z ~ N(0, I) land where the decoder has learned.
 */
import { Random } from '../engine/random.js';
import { normalDensity } from './gaussian.js';
import { CLASS_COLORS, PRIOR_COLOR } from './palette.js';
import { Axes, createFigure, figurePng, legend, line, text, type Context } from './plot.js';
import { snapshotLabel } from './evolution.js';
import type { LatentSnapshot, LatentSnapshots } from '../train/snapshots.js';
import { testCount, type FigureWords } from './words.js';

/** Dimensions shown at most; with more, the most active ones (largest variance of mu at the end). */
export const MARGINAL_DIMS = 4;
const RANGE: [number, number] = [-4, 4];
const BINS = 40;

/** Start, middle (nearest to half the final step) and end snapshots; fewer if there are fewer. */
export function marginalSnapshots(record: LatentSnapshots): number[] {
  const n = record.snapshots.length;
  if (n === 0) return [];
  const last = record.snapshots[n - 1]!.step;
  let mid = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(record.snapshots[i]!.step - last / 2) < Math.abs(record.snapshots[mid]!.step - last / 2)) mid = i;
  }
  return [...new Set([0, mid, n - 1])];
}

/** The dimensions to show: all up to MARGINAL_DIMS, else the most active at the last snapshot. */
export function activeDimensions(record: LatentSnapshots): number[] {
  const L = record.latent;
  if (L <= MARGINAL_DIMS) return Array.from({ length: L }, (_, j) => j);
  const last = record.snapshots[record.snapshots.length - 1]!;
  const variance = Array.from({ length: L }, (_, j) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < record.count; i++) {
      const v = last.mu[i * L + j]!;
      s += v;
      s2 += v * v;
    }
    const m = s / record.count;
    return s2 / record.count - m * m;
  });
  return Array.from({ length: L }, (_, j) => j)
    .sort((a, b) => variance[b]! - variance[a]! || a - b)
    .slice(0, MARGINAL_DIMS)
    .sort((a, b) => a - b);
}

/** Draws z = mu + exp(logvar / 2) eps for one dimension of a snapshot. */
function posteriorDraws(s: LatentSnapshot, record: LatentSnapshots, dim: number, rng: Random): Float64Array {
  const L = record.latent;
  const eps = rng.fillNormal(new Float32Array(record.count));
  return Float64Array.from({ length: record.count }, (_, i) => s.mu[i * L + dim]! + Math.exp(0.5 * s.logvar[i * L + dim]!) * eps[i]!);
}

function histogramPanel(ctx: Context, box: { x: number; y: number; width: number; height: number }, draws: Float64Array, title: string, xLabel: string, yMax: number): void {
  const width = (RANGE[1] - RANGE[0]) / BINS;
  const counts = new Float64Array(BINS);
  for (const v of draws) {
    const b = Math.floor((v - RANGE[0]) / width);
    if (b >= 0 && b < BINS) counts[b]!++;
  }
  const axes = new Axes(ctx, box, { range: RANGE, label: xLabel }, { range: [0, yMax], label: 'density' });
  axes.grid();
  axes.clipped(() => {
    ctx.fillStyle = CLASS_COLORS[0];
    ctx.globalAlpha = 0.55;
    for (let b = 0; b < BINS; b++) {
      const h = counts[b]! / (draws.length * width);
      const x0 = axes.px(RANGE[0] + b * width);
      const x1 = axes.px(RANGE[0] + (b + 1) * width);
      ctx.fillRect(x0, axes.py(h), x1 - x0 - 0.5, axes.py(0) - axes.py(h));
    }
    ctx.globalAlpha = 1;
  });
  const xs = Array.from({ length: 161 }, (_, i) => RANGE[0] + (i * (RANGE[1] - RANGE[0])) / 160);
  line(axes, xs, xs.map(normalDensity), PRIOR_COLOR, { width: 2 });
  let mean = 0;
  for (const v of draws) mean += v;
  mean /= draws.length;
  let sd = 0;
  for (const v of draws) sd += (v - mean) ** 2;
  sd = Math.sqrt(sd / draws.length);
  const fmt = (v: number): string => v.toFixed(2).replace('-', '\u2212');
  text(ctx, `mean ${fmt(mean)}, sd ${fmt(sd)}`, box.x + box.width - 6, box.y + 16, { size: 11, align: 'right' });
  axes.frame({ title, titleSize: 13, tickSize: 10, labelSize: 12 });
}

/** latent_marginals.png */
export function latentMarginalsFigure(record: LatentSnapshots, seed: number, words: FigureWords): Uint8Array {
  if (record.snapshots.length === 0) throw new RangeError('latentMarginalsFigure: no snapshots');
  const times = marginalSnapshots(record);
  const dims = activeDimensions(record);
  const rng = new Random(seed);
  const draws = dims.map((d) => times.map((t) => posteriorDraws(record.snapshots[t]!, record, d, rng)));
  // One vertical scale for every panel, so heights compare across time and dimensions.
  let peak = normalDensity(0);
  const binWidth = (RANGE[1] - RANGE[0]) / BINS;
  for (const row of draws) {
    for (const d of row) {
      const counts = new Float64Array(BINS);
      for (const v of d) {
        const b = Math.floor((v - RANGE[0]) / binWidth);
        if (b >= 0 && b < BINS) counts[b]!++;
      }
      peak = Math.max(peak, ...Array.from(counts, (c) => c / (d.length * binWidth)));
    }
  }
  const yMax = Math.min(peak * 1.1, 6);
  const cellW = 340;
  const cellH = 230;
  const top = 90;
  const fig = createFigure(times.length * cellW + 40, top + dims.length * cellH + 40);
  dims.forEach((d, r) => {
    times.forEach((t, c) => {
      const box = { x: 80 + c * cellW, y: top + 30 + r * cellH, width: cellW - 100, height: cellH - 90 };
      const when = ['start', 'middle', 'end'][times.length === 3 ? c : c === times.length - 1 ? 2 : c]!;
      histogramPanel(fig.ctx, box, draws[r]![c]!, `${when}: ${snapshotLabel(record, t)}`, `z${subscript(d + 1)}`, yMax);
    });
  });
  const which = record.latent <= MARGINAL_DIMS ? `each of the ${record.latent} latent dimensions` : `the ${dims.length} most active of ${record.latent} latent dimensions`;
  text(fig.ctx, `Latent marginals against the prior: z ~ q(z|x) for ${testCount(record.count, words)}`, fig.width / 2, 30, { size: 17, bold: true });
  text(fig.ctx, `(${which}; one row per dimension)`, fig.width / 2, 52, { size: 13 });
  legend(fig.ctx, [
    { label: 'histogram of z ~ q(z|x)', color: CLASS_COLORS[0], kind: 'fill' },
    { label: 'N(0, 1) density', color: PRIOR_COLOR, kind: 'line' },
  ], fig.width / 2 - 200, 62, { size: 12, columns: 2 });
  return figurePng(fig);
}

export function subscript(n: number): string {
  return String(n).replace(/\d/g, (c) => String.fromCharCode(0x2080 + Number(c)));
}
