/**
 * Plots on a 2-D canvas (Skia, through @napi-rs/canvas): a white figure, axes with a frame,
 * round-number ticks, labels, a title and a legend. Each figure module composes these; none
 * of them draws an axis by hand.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { encodePng } from './png.js';
import { font, registerPlotFonts } from './fonts.js';
import { GRID, INK } from './palette.js';
import { formatTick, niceTicks, type Ticks } from './ticks.js';
import type { RasterImage } from './grid.js';

export type Context = SKRSContext2D;
type TextAlign = 'left' | 'right' | 'center' | 'start' | 'end';
type TextBaseline = 'top' | 'middle' | 'bottom' | 'alphabetic' | 'hanging' | 'ideographic';

export interface Figure {
  canvas: Canvas;
  ctx: Context;
  width: number;
  height: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A blank white figure of the given size in pixels. */
export function createFigure(width: number, height: number): Figure {
  registerPlotFonts();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'alphabetic';
  return { canvas, ctx, width, height };
}

/** The figure's pixels as RGB, without the canvas's alpha channel (it is opaque anyway). */
export function figureRgb(fig: Figure): Uint8Array {
  const rgba = fig.ctx.getImageData(0, 0, fig.width, fig.height).data;
  const rgb = new Uint8Array(fig.width * fig.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}

/** PNG bytes of a figure, through the project's own encoder so output is byte-for-byte stable. */
export function figurePng(fig: Figure): Uint8Array {
  return encodePng({ width: fig.width, height: fig.height, channels: 3, pixels: figureRgb(fig) });
}

/** Text centered on (x, y) horizontally, baseline at y. */
export function text(ctx: Context, s: string, x: number, y: number, opts: { size?: number; bold?: boolean; align?: TextAlign; color?: string; baseline?: TextBaseline } = {}): void {
  ctx.font = font(opts.size ?? 13, opts.bold ? 'bold' : 'normal');
  ctx.fillStyle = opts.color ?? INK;
  ctx.textAlign = opts.align ?? 'center';
  ctx.textBaseline = opts.baseline ?? 'alphabetic';
  ctx.fillText(s, x, y);
}

/** An image grid (grey or RGB) drawn into the figure at (x, y), pixel for pixel (no smoothing). */
export function drawImage(ctx: Context, image: RasterImage, x: number, y: number): void {
  const data = ctx.createImageData(image.width, image.height);
  const n = image.width * image.height;
  const c = image.channels;
  for (let i = 0; i < n; i++) {
    // A grey pixel's one value serves all three colours.
    data.data[4 * i] = image.pixels[c * i]!;
    data.data[4 * i + 1] = image.pixels[c * i + (c === 3 ? 1 : 0)]!;
    data.data[4 * i + 2] = image.pixels[c * i + (c === 3 ? 2 : 0)]!;
    data.data[4 * i + 3] = 255;
  }
  ctx.putImageData(data, Math.round(x), Math.round(y));
}

export interface AxisSpec {
  range: [number, number];
  label?: string;
  /** Explicit ticks; default: round numbers over the range. */
  ticks?: Ticks;
  /** Tick labels for explicit positions, instead of numbers. */
  tickLabels?: Array<{ value: number; label: string }>;
}

export interface LegendItem {
  label: string;
  color: string;
  kind: 'point' | 'line' | 'dashed' | 'fill';
}

/** A rectangle of the figure with a data coordinate system. */
export class Axes {
  readonly box: Box;
  readonly x: AxisSpec;
  readonly y: AxisSpec;

  constructor(readonly ctx: Context, box: Box, x: AxisSpec, y: AxisSpec) {
    if (!(x.range[1] > x.range[0]) || !(y.range[1] > y.range[0])) {
      throw new RangeError(`Axes: empty range x [${x.range.join(', ')}] y [${y.range.join(', ')}]`);
    }
    this.box = box;
    this.x = x;
    this.y = y;
  }

  /** Pixel column of data value x. */
  px(x: number): number {
    const [a, b] = this.x.range;
    return this.box.x + ((x - a) / (b - a)) * this.box.width;
  }

  /** Pixel row of data value y (up is positive). */
  py(y: number): number {
    const [a, b] = this.y.range;
    return this.box.y + this.box.height - ((y - a) / (b - a)) * this.box.height;
  }

  /** Length in pixels of a data distance along x. */
  sx(d: number): number {
    return (d / (this.x.range[1] - this.x.range[0])) * this.box.width;
  }

  sy(d: number): number {
    return (d / (this.y.range[1] - this.y.range[0])) * this.box.height;
  }

  /** Runs `draw` with drawing confined to the plot area. */
  clipped(draw: () => void): void {
    const { ctx, box } = this;
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.width, box.height);
    ctx.clip();
    draw();
    ctx.restore();
  }

  private xTicks(): Array<{ value: number; label: string }> {
    if (this.x.tickLabels) return this.x.tickLabels;
    const t = this.x.ticks ?? niceTicks(this.x.range[0], this.x.range[1], Math.max(3, Math.round(this.box.width / 80)));
    return t.values.map((v) => ({ value: v, label: formatTick(v, t.step) }));
  }

  private yTicks(): Array<{ value: number; label: string }> {
    if (this.y.tickLabels) return this.y.tickLabels;
    const t = this.y.ticks ?? niceTicks(this.y.range[0], this.y.range[1], Math.max(3, Math.round(this.box.height / 60)));
    return t.values.map((v) => ({ value: v, label: formatTick(v, t.step) }));
  }

  /** Light grid lines at the ticks, under the data. */
  grid(): void {
    const { ctx, box } = this;
    ctx.save();
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of this.xTicks()) {
      const x = Math.round(this.px(t.value)) + 0.5;
      ctx.moveTo(x, box.y);
      ctx.lineTo(x, box.y + box.height);
    }
    for (const t of this.yTicks()) {
      const y = Math.round(this.py(t.value)) + 0.5;
      ctx.moveTo(box.x, y);
      ctx.lineTo(box.x + box.width, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  /** Frame, ticks with their labels, axis labels and title, over the data. */
  frame(opts: { title?: string; titleSize?: number; tickSize?: number; labelSize?: number } = {}): void {
    const { ctx, box } = this;
    const tickSize = opts.tickSize ?? 12;
    const labelSize = opts.labelSize ?? 13;
    ctx.save();
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(box.x) + 0.5, Math.round(box.y) + 0.5, Math.round(box.width), Math.round(box.height));
    ctx.beginPath();
    const bottom = Math.round(box.y + box.height) + 0.5;
    for (const t of this.xTicks()) {
      const x = Math.round(this.px(t.value)) + 0.5;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom + 5);
    }
    const left = Math.round(box.x) + 0.5;
    for (const t of this.yTicks()) {
      const y = Math.round(this.py(t.value)) + 0.5;
      ctx.moveTo(left, y);
      ctx.lineTo(left - 5, y);
    }
    ctx.stroke();
    for (const t of this.xTicks()) text(ctx, t.label, this.px(t.value), bottom + 7, { size: tickSize, baseline: 'top' });
    let widest = 0;
    ctx.font = font(tickSize);
    for (const t of this.yTicks()) {
      widest = Math.max(widest, ctx.measureText(t.label).width);
      text(ctx, t.label, left - 8, this.py(t.value), { size: tickSize, align: 'right', baseline: 'middle' });
    }
    if (this.x.label) text(ctx, this.x.label, box.x + box.width / 2, bottom + 12 + tickSize + 4, { size: labelSize, baseline: 'top' });
    if (this.y.label) {
      ctx.save();
      ctx.translate(left - 14 - widest, box.y + box.height / 2);
      ctx.rotate(-Math.PI / 2);
      text(ctx, this.y.label, 0, 0, { size: labelSize, baseline: 'bottom' });
      ctx.restore();
    }
    if (opts.title) text(ctx, opts.title, box.x + box.width / 2, box.y - 10, { size: opts.titleSize ?? 14, bold: true });
    ctx.restore();
  }
}

interface LegendLayout {
  rows: number;
  colStart: number[];
  rowHeight: number;
  width: number;
  height: number;
}

function legendLayout(ctx: Context, items: LegendItem[], size: number, columns: number): LegendLayout {
  const rows = Math.ceil(items.length / columns);
  ctx.font = font(size);
  // Each column as wide as its longest label.
  const colWidths = Array.from({ length: columns }, (_, c) =>
    Math.max(0, ...items.slice(c * rows, (c + 1) * rows).map((i) => ctx.measureText(i.label).width)) + 40,
  );
  const colStart = colWidths.map((_, c) => colWidths.slice(0, c).reduce((a, b) => a + b, 0));
  const rowHeight = size + 7;
  return { rows, colStart, rowHeight, width: colWidths.reduce((a, b) => a + b, 0) - 6 + 8, height: rows * rowHeight + 8 };
}

/** The size a legend will take, so a figure can make room for long class names before drawing. */
export function legendSize(items: LegendItem[], opts: { size?: number; columns?: number } = {}): { width: number; height: number } {
  registerPlotFonts();
  const { width, height } = legendLayout(createCanvas(1, 1).getContext('2d'), items, opts.size ?? 12, opts.columns ?? 1);
  return { width, height };
}

/** A legend: one row per item, a marker then its label, on a white box with a thin border. */
export function legend(ctx: Context, items: LegendItem[], x: number, y: number, opts: { size?: number; columns?: number } = {}): Box {
  const size = opts.size ?? 12;
  const { rows, colStart, rowHeight, width, height } = legendLayout(ctx, items, size, opts.columns ?? 1);
  const box: Box = { x, y, width, height };
  ctx.save();
  ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
  ctx.fillRect(box.x, box.y, box.width, box.height);
  ctx.strokeStyle = '#bbbbbb';
  ctx.lineWidth = 1;
  ctx.strokeRect(Math.round(box.x) + 0.5, Math.round(box.y) + 0.5, Math.round(box.width), Math.round(box.height));
  items.forEach((item, i) => {
    const cx = x + 6 + colStart[Math.floor(i / rows)]!;
    const cy = y + 4 + (i % rows) * rowHeight + rowHeight / 2;
    drawLegendMarker(ctx, item, cx, cy);
    text(ctx, item.label, cx + 28, cy, { size, align: 'left', baseline: 'middle' });
  });
  ctx.restore();
  return box;
}

function drawLegendMarker(ctx: Context, item: LegendItem, x: number, y: number): void {
  ctx.save();
  ctx.fillStyle = item.color;
  ctx.strokeStyle = item.color;
  if (item.kind === 'point') {
    ctx.beginPath();
    ctx.arc(x + 11, y, 5, 0, 2 * Math.PI);
    ctx.fill();
  } else if (item.kind === 'fill') {
    ctx.fillRect(x + 3, y - 6, 16, 12);
  } else {
    ctx.lineWidth = 2;
    ctx.setLineDash(item.kind === 'dashed' ? [5, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 22, y);
    ctx.stroke();
  }
  ctx.restore();
}

/** Filled dots at data points, one color per point. */
export function scatter(axes: Axes, xs: ArrayLike<number>, ys: ArrayLike<number>, colors: ArrayLike<string>, radius: number, alpha = 1): void {
  const { ctx } = axes;
  axes.clipped(() => {
    ctx.globalAlpha = alpha;
    for (let i = 0; i < xs.length; i++) {
      ctx.fillStyle = colors[i]!;
      ctx.beginPath();
      ctx.arc(axes.px(xs[i]!), axes.py(ys[i]!), radius, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  });
}

/** A polyline through data points, optionally dashed and with dot markers. */
export function line(axes: Axes, xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, opts: { width?: number; dashed?: boolean; markers?: boolean } = {}): void {
  const { ctx } = axes;
  axes.clipped(() => {
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = opts.width ?? 2;
    ctx.setLineDash(opts.dashed ? [6, 4] : []);
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const x = axes.px(xs[i]!);
      const y = axes.py(ys[i]!);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    if (opts.markers) {
      for (let i = 0; i < xs.length; i++) {
        ctx.beginPath();
        ctx.arc(axes.px(xs[i]!), axes.py(ys[i]!), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  });
}

/** The 1-sigma and 2-sigma circles of N(0, I) in a plane (axes must have equal scales). */
export function priorCircles(axes: Axes, color: string): void {
  const { ctx } = axes;
  axes.clipped(() => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    for (const [r, dash] of [[1, []], [2, [6, 4]]] as Array<[number, number[]]>) {
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.ellipse(axes.px(0), axes.py(0), axes.sx(r), axes.sy(r), 0, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.setLineDash([]);
  });
}
