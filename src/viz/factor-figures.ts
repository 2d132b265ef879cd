/**
 * The hidden factors as pictures: latent_traversals.png (each active dimension moved alone,
 * the decoded image following) and, for a 2-D model, the latent plane coloured by a measure of
 * each test image (latent_scatter_slant.png and the like), the explainer's first picture.
 */
import { type Context, Axes, createFigure, figurePng, priorCircles, scatter, text } from './plot.js';
import { PRIOR_COLOR, INK, perceptualColor } from './palette.js';
import { font } from './fonts.js';
import { formatTick, niceTicks } from './ticks.js';
import { squareRange } from './latent-figures.js';
import { TRAVERSAL_SIGMAS, measureLabel, measureUnits, type FactorAnalysis, type FactorDimension, type FactorsFile } from '../train/factors.js';
import { minimumRows } from '../train/partial-correlation.js';

const SCALE = 2;

/** A signed number with a true minus sign. */
export function signed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  if (/^-0(\.0*)?$/.test(s)) return s.slice(1);
  return v < 0 ? s.replace('-', '\u2212') : `+${s}`;
}

/** "z₃" for dimension index 2: latent dimensions are counted from 1 in pictures, as in the scatter's axes. */
export function dimensionName(dim: number): string {
  const sub = '\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089';
  return 'z' + String(dim + 1).replace(/\d/g, (c) => sub[Number(c)]!);
}

/** Short units for pictures. */
function shortUnits(name: string): string {
  const u = measureUnits(name);
  return u === 'degrees' ? '\u00b0' : u === 'pixels' ? ' px' : u === 'square pixels' ? ' px\u00b2' : '';
}

/** One image (channels x height x width, values in [0, 1]) drawn at (x, y), each pixel a scale x scale block. */
function drawImage(ctx: Context, image: Float32Array, channels: number, height: number, width: number, x: number, y: number): void {
  const data = ctx.createImageData(width * SCALE, height * SCALE);
  const plane = height * width;
  const byte = (v: number): number => Math.round(Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)) * 255);
  for (let r = 0; r < height * SCALE; r++) {
    for (let c = 0; c < width * SCALE; c++) {
      const p = Math.floor(r / SCALE) * width + Math.floor(c / SCALE);
      const o = 4 * (r * width * SCALE + c);
      for (let k = 0; k < 3; k++) data.data[o + k] = byte(image[(channels === 3 ? k * plane : 0) + p]!);
      data.data[o + 3] = 255;
    }
  }
  ctx.putImageData(data, Math.round(x), Math.round(y));
}

/** The active dimensions, most KL first: the rows of the traversal figure and of the report's table. */
export function activeByKl(dimensions: FactorDimension[]): FactorDimension[] {
  return dimensions.filter((d) => d.active).sort((a, b) => b.kl - a.kl || a.dim - b.dim);
}

/** A traversal row's label: the dimension and its factor, then r and KL, then the change along the row. */
function traversalLabel(d: FactorDimension): { title: string; details: string[] } {
  const factor = d.factor === null ? 'no measure' : measureLabel(d.factor);
  const details: string[] = [];
  if (d.r !== null) details.push(`r = ${signed(d.r, 2)}, KL ${d.kl.toFixed(2)} nats`);
  if (d.slope !== null && d.factor !== null) {
    details.push(`${signed(d.slope, Math.abs(d.slope) >= 10 ? 0 : Math.abs(d.slope) >= 1 ? 1 : 2)}${shortUnits(d.factor) || ` ${measureUnits(d.factor)}`} per \u03c3${d.monotonic ? ', monotonic' : ', not monotonic'}`);
  }
  return { title: `${dimensionName(d.dim)}: ${factor}`, details };
}

/**
 * The line under the traversal figure's title: what the row labels say, or, when the test
 * images were too few to name any measure, why every row says "no measure".
 */
export function traversalLegend(file: FactorsFile, noun: string): string {
  const dims = file.dimensions.length;
  if (file.testImages < minimumRows(dims)) {
    return `no measure named: partial correlations over ${dims} latent dimensions need at least ${minimumRows(dims)} test ${noun}s, and there are ${file.testImages.toLocaleString('en-US')}`;
  }
  return 'label: the measure the dimension tracks best (partial correlation r, given the other dimensions) and its change along the row';
}

/**
 * latent_traversals.png: one row per active dimension (most KL first), labelled with the
 * factor it tracks and the partial correlation; columns from -3 sigma to +3 sigma.
 */
export function traversalsFigure(analysis: FactorAnalysis, channels: number, height: number, width: number, noun: string): Uint8Array {
  const rows = activeByKl(analysis.file.dimensions);
  const steps = TRAVERSAL_SIGMAS.length;
  const cellW = width * SCALE;
  const cellH = height * SCALE;
  const gap = 4;
  const labels = rows.map((d) => traversalLabel(d));
  // The labels' column is as wide as its longest line, so units such as "intensity (0 to 1)" never run into the images.
  const measuring = createFigure(10, 10).ctx;
  let widest = 0;
  for (const { title, details } of labels) {
    measuring.font = font(15, 'bold');
    widest = Math.max(widest, measuring.measureText(title).width);
    measuring.font = font(12, 'normal');
    for (const line of details) widest = Math.max(widest, measuring.measureText(line).width);
  }
  const left = Math.max(250, Math.ceil(16 + widest + 16));
  const top = 100;
  // A row is as tall as its images or its label, whichever is taller, so small images' labels do not overlap.
  const labelH = 36 + 17 * Math.max(0, ...labels.map((l) => l.details.length - 1)) + 8;
  const rowH = Math.max(cellH, labelH) + 14;
  const gridW = steps * cellW + (steps - 1) * gap;
  const title = 'Latent traversals: each active dimension moved alone, the decoded mean image following';
  const conditional = analysis.traversalClass === undefined ? '' : `, decoded as class y = ${analysis.traversalClass}`;
  const subtitle = `from \u22123\u03c3 to +3\u03c3 around the mean code of the ${analysis.file.testImages.toLocaleString('en-US')} test ${noun}s (\u03c3: the spread of that dimension's posterior means)${conditional}`;
  const legend = traversalLegend(analysis.file, noun);
  measuring.font = font(17, 'bold');
  let headW = measuring.measureText(title).width;
  measuring.font = font(13, 'normal');
  headW = Math.max(headW, measuring.measureText(subtitle).width);
  measuring.font = font(12, 'normal');
  headW = Math.max(headW, measuring.measureText(legend).width);
  const figW = Math.max(left + gridW + 30, Math.ceil(headW + 40), 760);
  const figH = top + Math.max(1, rows.length) * rowH + 30;
  const fig = createFigure(figW, figH);
  const { ctx } = fig;
  const mid = fig.width / 2;
  text(ctx, title, mid, 30, { size: 17, bold: true });
  text(ctx, subtitle, mid, 52, { size: 13 });
  text(ctx, legend, mid, 70, { size: 12, color: '#555555' });
  TRAVERSAL_SIGMAS.forEach((s, i) => {
    const label = s === 0 ? 'mean' : `${signed(s, Number.isInteger(s) ? 0 : 1)}\u03c3`;
    text(ctx, label, left + i * (cellW + gap) + cellW / 2, top - 8, { size: 11, bold: Number.isInteger(s) });
  });
  if (rows.length === 0) {
    text(ctx, 'no active dimension: every dimension\u2019s KL is at most 0.01 nats, so the decoder ignores the code', mid, top + cellH / 2, { size: 14 });
  }
  const inputDim = channels * height * width;
  rows.forEach((d, r) => {
    const y = top + r * rowH;
    const traversal = analysis.traversals[d.dim]!;
    for (let s = 0; s < steps; s++) {
      drawImage(ctx, traversal.images.subarray(s * inputDim, (s + 1) * inputDim), channels, height, width, left + s * (cellW + gap), y);
    }
    const { title, details } = labels[r]!;
    text(ctx, title, 16, y + 16, { size: 15, bold: true, align: 'left' });
    details.forEach((line, i) => text(ctx, line, 16, y + 36 + i * 17, { size: 12, align: 'left', color: '#444444' }));
  });
  return figurePng(fig);
}

/** The 1st and 99th percentiles of the finite values: the colour range, so a few outliers do not wash out the rest. */
export function colourRange(values: ArrayLike<number>): [number, number] {
  const finite = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return [0, 1];
  const at = (q: number): number => finite[Math.min(finite.length - 1, Math.max(0, Math.round(q * (finite.length - 1))))]!;
  const lo = at(0.01);
  const hi = at(0.99);
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

function colourBar(ctx: Context, range: [number, number], label: string, x: number, y: number, height: number): void {
  const w = 18;
  for (let i = 0; i < height; i++) {
    const [R, G, B] = perceptualColor(1 - i / (height - 1));
    ctx.fillStyle = `rgb(${R}, ${G}, ${B})`;
    ctx.fillRect(x, y + i, w, 1);
  }
  ctx.strokeStyle = INK;
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w, height);
  const [lo, hi] = range;
  const ticks = niceTicks(lo, hi, 6);
  ctx.font = font(12);
  for (const v of ticks.values) {
    const ty = Math.round(y + height - ((v - lo) / (hi - lo)) * height) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x + w, ty);
    ctx.lineTo(x + w + 5, ty);
    ctx.stroke();
    text(ctx, formatTick(v, ticks.step), x + w + 8, ty, { size: 12, align: 'left', baseline: 'middle' });
  }
  ctx.save();
  ctx.translate(x + w + 62, y + height / 2);
  ctx.rotate(Math.PI / 2);
  text(ctx, label, 0, 0, { size: 13, baseline: 'bottom' });
  ctx.restore();
}

/** Top of the plot area, below the title's three lines. */
const TOP = 88;

export interface MeasureScatterInput {
  /** [count, 2] posterior means. */
  mu: Float32Array;
  count: number;
  /** The measure of each test image. */
  values: ArrayLike<number>;
  measure: string;
  /** The direction in the plane that best predicts the measure, and the fit's R; drawn as an arrow. */
  direction?: { vector: number[]; r: number };
  noun: string;
}

/**
 * latent_scatter_<measure>.png: the test set's posterior means in the 2-D latent plane, each
 * coloured by the measure of its image on a perceptual colour map, with a colour bar in the
 * measure's units and an arrow along the direction that predicts the measure best.
 */
export function measureScatterFigure(input: MeasureScatterInput): Uint8Array {
  const { mu, count, values, measure } = input;
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = mu[2 * i]!;
    y[i] = mu[2 * i + 1]!;
  }
  const range = squareRange([x], [y]);
  const fig = createFigure(860, 740);
  const axes = new Axes(fig.ctx, { x: 90, y: TOP, width: 580, height: 580 }, { range, label: 'z\u2081' }, { range, label: 'z\u2082' });
  axes.grid();
  const cRange = colourRange(values);
  const colours = Array.from({ length: count }, (_, i) => {
    const v = values[i]!;
    if (!Number.isFinite(v)) return '#bbbbbb';
    const [R, G, B] = perceptualColor((v - cRange[0]) / (cRange[1] - cRange[0]));
    return `rgb(${R}, ${G}, ${B})`;
  });
  scatter(axes, x, y, colours, count > 5000 ? 1.8 : 2.6, count > 5000 ? 0.7 : 0.85);
  priorCircles(axes, PRIOR_COLOR);
  const label = measureLabel(measure);
  if (input.direction !== undefined && input.direction.vector.length === 2) {
    const [dx, dy] = input.direction.vector as [number, number];
    arrow(axes, 2.2 * dx, 2.2 * dy, `${label} increases`);
  }
  axes.frame();
  const units = measureUnits(measure);
  text(fig.ctx, `${count.toLocaleString('en-US')} test ${input.noun}s in latent space, coloured by ${label}`, 380, 30, { size: 17, bold: true });
  text(fig.ctx, `(posterior means \u03bc(x) of the 2-D latent; colours span the 1st to the 99th percentile of ${label};`, 380, 52, { size: 13 });
  const fit = input.direction === undefined ? '' : `arrow: the direction a linear fit predicts ${label} best along, R = ${input.direction.r.toFixed(2)}; `;
  text(fig.ctx, `${fit}circles: 1\u03c3 and 2\u03c3 of the prior N(0, I))`, 380, 70, { size: 13 });
  colourBar(fig.ctx, cRange, `${label} (${units})`, 700, TOP, 580);
  return figurePng(fig);
}

/** An arrow from the origin to (x, y) in data units, labelled at its head. */
function arrow(axes: Axes, x: number, y: number, label: string): void {
  const { ctx } = axes;
  const x0 = axes.px(0);
  const y0 = axes.py(0);
  const x1 = axes.px(x);
  const y1 = axes.py(y);
  const angle = Math.atan2(y1 - y0, x1 - x0);
  axes.clipped(() => {
    ctx.save();
    for (const [colour, width] of [['#ffffff', 6], [INK, 2.5]] as Array<[string, number]>) {
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1 - 10 * Math.cos(angle), y1 - 10 * Math.sin(angle));
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 14 * Math.cos(angle - 0.4), y1 - 14 * Math.sin(angle - 0.4));
      ctx.lineTo(x1 - 14 * Math.cos(angle + 0.4), y1 - 14 * Math.sin(angle + 0.4));
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  });
  const lx = x1 + 14 * Math.cos(angle);
  const ly = y1 + 14 * Math.sin(angle);
  const align = Math.cos(angle) > 0.3 ? 'left' : Math.cos(angle) < -0.3 ? 'right' : 'center';
  ctx.save();
  ctx.font = font(14, 'bold');
  const w = ctx.measureText(label).width;
  const bx = align === 'left' ? lx : align === 'right' ? lx - w : lx - w / 2;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.fillRect(bx - 3, ly - 11, w + 6, 21);
  ctx.restore();
  text(ctx, label, lx, ly, { size: 14, bold: true, align, baseline: 'middle' });
}
