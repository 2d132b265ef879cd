/**
 * A square scatter of points in latent space, colored by class or by a measure, with axes and ticks: the
 * picture of where the encoder puts the data. A small collection's points can be shown as
 * their pictures instead of dots, each framed in its point's colour. Two stacked canvases: the
 * points and axes are drawn once per change, the overlay (pointer, markers, paths) once per frame.
 */
import { classColor, el, fitCanvas, formatTick, niceTicks, valueColor } from './dom.js';

const MARGIN = { left: 44, right: 10, top: 10, bottom: 38 };

export interface Domain {
  min: number;
  max: number;
}

export class Scatter {
  readonly root: HTMLElement;
  readonly base: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  private size = 300;
  private domain: Domain = { min: -3, max: 3 };
  private xy: ArrayLike<number> = [];
  private labels: ArrayLike<number> = [];
  /** When set, the dots are colored by these values (one per point) from `range[0]` to `range[1]` instead of by class. */
  private values: { values: ArrayLike<number>; range: [number, number] } | null = null;
  private axisNames: [string, string];
  /** One picture per point (a small collection's images), and their size in pixels. */
  private pictures: { images: CanvasImageSource[]; width: number; height: number } | null = null;
  private picturesShown = false;

  constructor(xName: string, yName: string, label: string) {
    this.axisNames = [xName, yName];
    this.base = el('canvas', { class: 'scatter-base', 'aria-hidden': 'true' });
    this.overlay = el('canvas', { class: 'scatter-overlay', role: 'img', 'aria-label': label });
    this.root = el('div', { class: 'scatter' }, this.base, this.overlay);
  }

  /** Side of the whole figure (plot and axes) in CSS pixels. */
  resize(size: number): void {
    this.size = Math.max(160, Math.floor(size));
    this.root.style.width = `${this.size}px`;
    this.root.style.height = `${this.size}px`;
    this.updateDomain();
    this.draw();
  }

  setAxisNames(x: string, y: string): void {
    this.axisNames = [x, y];
  }

  /** Points as x0, y0, x1, y1, ...; labels pick their colors. The domain follows the points. */
  setPoints(xy: ArrayLike<number>, labels: ArrayLike<number>): void {
    this.xy = xy;
    this.labels = labels;
    this.updateDomain();
    this.draw();
  }

  /** The points' pictures, one per point in the order of setPoints (null: none). */
  setPictures(images: CanvasImageSource[] | null, width = 1, height = 1): void {
    this.pictures = images === null ? null : { images, width, height };
    this.updateDomain();
    this.draw();
  }

  /** Whether the points are drawn as their pictures (when there are pictures) or as dots. */
  showPictures(on: boolean): void {
    this.picturesShown = on;
    this.updateDomain();
    this.draw();
  }

  /** The domain follows the points; with pictures, wide enough that those at its edge are seen whole. */
  private updateDomain(): void {
    const domain = symmetricDomain(this.xy);
    const n = this.shownPictures();
    if (n > 0) {
      const [pw, ph] = this.pictureSize(n);
      const r = (domain.max * this.plotSize) / Math.max(1, this.plotSize - Math.max(pw, ph));
      domain.max = Math.ceil(r * 2) / 2;
      domain.min = -domain.max;
    }
    this.domain = domain;
  }

  /**
   * The CSS size a point's picture is drawn at: about the same area whatever its shape, and
   * smaller the more pictures share the plane, so that a few dozen can be told apart.
   */
  pictureSize(count: number): [number, number] {
    const p = this.pictures;
    if (p === null) return [0, 0];
    const side = Math.max(18, Math.min(64, (this.plotSize * 0.55) / Math.sqrt(Math.max(1, count))));
    const aspect = p.width / p.height;
    return [side * Math.sqrt(aspect), side / Math.sqrt(aspect)];
  }

  /** The point whose picture is under a CSS pixel position (of overlapping ones, the one whose point is nearest), or -1. */
  pictureAt(px: number, py: number): number {
    const n = this.shownPictures();
    if (n === 0) return -1;
    const [pw, ph] = this.pictureSize(n);
    let best = -1;
    let nearest = Infinity;
    for (let i = 0; i < n; i++) {
      const [x, y] = this.toPixel(this.xy[2 * i]!, this.xy[2 * i + 1]!);
      if (Math.abs(px - x) > pw / 2 || Math.abs(py - y) > ph / 2) continue;
      const d = Math.hypot(px - x, py - y);
      if (d < nearest) [best, nearest] = [i, d];
    }
    return best;
  }

  /** Draws point i's picture enlarged on an overlay context, so the one under the pointer can be seen. */
  drawPictureLarge(ctx: CanvasRenderingContext2D, i: number, scale = 2): void {
    const n = this.shownPictures();
    if (i < 0 || i >= n) return;
    const [pw, ph] = this.pictureSize(n).map((v) => v * scale) as [number, number];
    const [px, py] = this.toPixel(this.xy[2 * i]!, this.xy[2 * i + 1]!);
    // Kept inside the plot, so a picture at the edge is seen whole.
    const x = Math.max(MARGIN.left + 2, Math.min(MARGIN.left + this.plotSize - pw - 2, px - pw / 2));
    const y = Math.max(MARGIN.top + 2, Math.min(MARGIN.top + this.plotSize - ph - 2, py - ph / 2));
    ctx.save();
    ctx.shadowColor = 'rgba(29, 36, 51, 0.35)';
    ctx.shadowBlur = 8;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(this.pictures!.images[i]!, x, y, pw, ph);
    ctx.restore();
    ctx.strokeStyle = '#1d2433';
    ctx.lineWidth = 2;
    ctx.strokeRect(x - 1, y - 1, pw + 2, ph + 2);
  }

  /** How many points are drawn as pictures now (0: dots). */
  private shownPictures(): number {
    const n = Math.min(this.labels.length, Math.floor(this.xy.length / 2));
    return this.picturesShown && this.pictures !== null && this.pictures.images.length >= n ? n : 0;
  }

  /** Colors the dots by one value each (null: by class again). */
  colorByValues(values: ArrayLike<number> | null, range?: [number, number]): void {
    this.values = values === null ? null : { values, range: range ?? valueRange(values) };
    this.draw();
  }

  get plotSize(): number {
    return this.size - MARGIN.left - MARGIN.right;
  }

  /** CSS pixel position (relative to the figure) of a latent point. */
  toPixel(x: number, y: number): [number, number] {
    const s = this.plotSize / (this.domain.max - this.domain.min);
    return [MARGIN.left + (x - this.domain.min) * s, MARGIN.top + (this.domain.max - y) * s];
  }

  /** The latent point under a CSS pixel position; null outside the plot area. */
  toLatent(px: number, py: number): [number, number] | null {
    const s = this.plotSize / (this.domain.max - this.domain.min);
    const x = this.domain.min + (px - MARGIN.left) / s;
    const y = this.domain.max - (py - MARGIN.top) / s;
    const inside = px >= MARGIN.left && px <= MARGIN.left + this.plotSize && py >= MARGIN.top && py <= MARGIN.top + this.plotSize;
    return inside ? [x, y] : null;
  }

  /** Latent units per CSS pixel. */
  get unitsPerPixel(): number {
    return (this.domain.max - this.domain.min) / this.plotSize;
  }

  /** A cleared overlay, clipped to the plot area, for this frame's markers. */
  overlayContext(): CanvasRenderingContext2D {
    const ctx = fitCanvas(this.overlay, this.size, this.size);
    ctx.clearRect(0, 0, this.size, this.size);
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, this.plotSize, this.plotSize);
    ctx.clip();
    return ctx;
  }

  draw(): void {
    const ctx = fitCanvas(this.base, this.size, this.size);
    const { left, top } = MARGIN;
    const side = this.plotSize;
    ctx.clearRect(0, 0, this.size, this.size);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(left, top, side, side);

    const ticks = niceTicks(this.domain.min, this.domain.max, side < 260 ? 4 : 6);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5b6474';
    ctx.strokeStyle = '#eceef2';
    ctx.lineWidth = 1;
    for (const t of ticks) {
      const [px] = this.toPixel(t, 0);
      const [, py] = this.toPixel(0, t);
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, top);
      ctx.lineTo(Math.round(px) + 0.5, top + side);
      ctx.moveTo(left, Math.round(py) + 0.5);
      ctx.lineTo(left + side, Math.round(py) + 0.5);
      ctx.stroke();
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(formatTick(t), px, top + side + 5);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(formatTick(t), left - 6, py);
    }
    // The prior's center and unit circle: where N(0, I) puts most of its mass.
    const [cx, cy] = this.toPixel(0, 0);
    ctx.strokeStyle = '#d5d9e0';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.arc(cx, cy, 1 / this.unitsPerPixel, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, side, side);
    ctx.clip();
    const r = side < 300 ? 1.3 : 1.7;
    ctx.globalAlpha = 0.7;
    const n = Math.min(this.labels.length, Math.floor(this.xy.length / 2));
    // One path per color: by class, or by the value's bin of the color map.
    const BINS = 24;
    const values = this.values;
    const groupOf = (i: number): number => {
      if (values === null) return this.labels[i]!;
      const [lo, hi] = values.range;
      const t = (values.values[i]! - lo) / (hi - lo || 1);
      return Math.max(0, Math.min(BINS - 1, Math.floor(t * BINS)));
    };
    const group = Int32Array.from({ length: n }, (_, i) => groupOf(i));
    const groups = values === null ? group.reduce((m, g) => Math.max(m, g + 1), 0) : BINS;
    const pictures = this.shownPictures() > 0 ? this.pictures : null;
    if (pictures !== null) {
      // Each picture centred on its point, framed in the point's colour (a single class has none worth showing).
      const [pw, ph] = this.pictureSize(n);
      ctx.globalAlpha = 1;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.lineWidth = 1.5;
      for (let i = 0; i < n; i++) {
        const [px, py] = this.toPixel(this.xy[2 * i]!, this.xy[2 * i + 1]!);
        const x = px - pw / 2;
        const y = py - ph / 2;
        ctx.drawImage(pictures.images[i]!, x, y, pw, ph);
        ctx.strokeStyle = values === null ? (groups > 1 ? classColor(group[i]!) : '#8a93a3') : valueColor((group[i]! + 0.5) / BINS);
        ctx.strokeRect(x - 0.75, y - 0.75, pw + 1.5, ph + 1.5);
      }
      this.base.dataset.pictures = String(n);
    } else delete this.base.dataset.pictures;
    for (let d = 0; d < (pictures === null ? groups : 0); d++) {
      ctx.fillStyle = values === null ? classColor(d) : valueColor((d + 0.5) / BINS);
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (group[i] !== d) continue;
        const [px, py] = this.toPixel(this.xy[2 * i]!, this.xy[2 * i + 1]!);
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.restore();

    ctx.strokeStyle = '#9aa3b2';
    ctx.strokeRect(left + 0.5, top + 0.5, side - 1, side - 1);
    ctx.fillStyle = '#2b3140';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(this.axisNames[0], left + side / 2, this.size - 2);
    ctx.save();
    ctx.translate(11, top + side / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(this.axisNames[1], 0, 0);
    ctx.restore();
  }
}

/** The range a color map spans: the 1st to the 99th percentile, so a few outliers do not wash it out. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  const sorted = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return [0, 1];
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return [at(0.01), at(0.99)];
}

/**
 * A square domain centered on the origin that holds nearly all points (a few far outliers
 * may fall outside) and never less than the prior's +-3.
 */
export function symmetricDomain(xy: ArrayLike<number>): Domain {
  const abs = Array.from(xy, Math.abs).sort((a, b) => a - b);
  const q = abs.length === 0 ? 0 : abs[Math.min(abs.length - 1, Math.floor(abs.length * 0.998))]!;
  const r = Math.ceil(Math.max(3, q * 1.08) * 2) / 2;
  return { min: -r, max: r };
}
