/**
 * A pad to draw a digit on, with mouse, pen or finger (pointer events). The stroke is drawn
 * at ten times MNIST's resolution, then brought to MNIST's form before the encoder sees it:
 * the ink's bounding box scaled to fit 20 x 20 pixels, placed in a 28 x 28 image with its
 * center of mass at the center. That is how the MNIST digits were prepared, so a drawn digit
 * lands where the test digits of its class do.
 */
import { el, fitCanvas } from './dom.js';
import { followPen, inkSegment, segmentStrokes, showInk, type PadPoint } from './pen-input.js';

const SIDE = 28;
const UP = 10;
const FULL = SIDE * UP;

export class DrawingPad {
  readonly canvas: HTMLCanvasElement;
  private readonly ink: CanvasRenderingContext2D;
  private readonly stroke: HTMLCanvasElement;
  private drawn = false;
  private cssSize = 196;

  /** @param onChange called whenever the drawing changes; read `pixels()` when convenient */
  constructor(private readonly onChange: () => void) {
    this.canvas = el('canvas', { class: 'pad', 'aria-label': 'drawing pad: draw a digit here' });
    this.stroke = el('canvas', { width: String(FULL), height: String(FULL) });
    this.ink = this.stroke.getContext('2d', { willReadFrequently: true })!;
    followPen(this.canvas, () => ({ width: FULL, height: FULL }), segmentStrokes((from, to) => this.line(from, to)));
    this.resize(this.cssSize);
  }

  resize(size: number): void {
    this.cssSize = size;
    this.paint();
  }

  clear(): void {
    this.ink.clearRect(0, 0, FULL, FULL);
    this.drawn = false;
    this.paint();
    this.onChange();
  }

  private line(from: PadPoint, to: PadPoint): void {
    inkSegment(this.ink, from, to, 2.2 * UP);
    this.drawn = true;
    this.paint();
    this.onChange();
  }

  private paint(): void {
    const ctx = fitCanvas(this.canvas, this.cssSize, this.cssSize);
    const s = this.cssSize;
    ctx.fillStyle = '#fbfaf7';
    ctx.fillRect(0, 0, s, s);
    // A faint 28 x 28 grid: the resolution the encoder will see.
    ctx.strokeStyle = '#efece4';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 1; i < SIDE; i++) {
      const p = Math.round((i * s) / SIDE) + 0.5;
      ctx.moveTo(p, 0);
      ctx.lineTo(p, s);
      ctx.moveTo(0, p);
      ctx.lineTo(s, p);
    }
    ctx.stroke();
    showInk(ctx, this.drawn ? this.stroke : null, 'draw a digit here', s, s);
  }

  /** The drawing in MNIST's form, or null while the pad is empty. */
  pixels(): Float32Array | null {
    const rgba = this.ink.getImageData(0, 0, FULL, FULL).data;
    const alpha = new Float32Array(FULL * FULL);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3]! / 255;
    return toMnistForm(alpha, FULL);
  }
}

/**
 * An n x n ink image (values in [0, 1]) in MNIST's form: bounding box scaled to fit 20 x 20
 * by averaging, pasted into 28 x 28 with the center of mass at (14, 14). Null if blank.
 */
export function toMnistForm(ink: Float32Array, n: number): Float32Array | null {
  let x0 = n;
  let y0 = n;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (ink[y * n + x]! > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const scale = 20 / Math.max(w, h);
  const tw = Math.max(1, Math.ceil(w * scale));
  const th = Math.max(1, Math.ceil(h * scale));
  const sum = new Float32Array(tw * th);
  const count = new Float32Array(tw * th);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(th - 1, Math.floor((y - y0) * scale));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(tw - 1, Math.floor((x - x0) * scale));
      sum[ty * tw + tx]! += ink[y * n + x]!;
      count[ty * tw + tx]! += 1;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const i = ty * tw + tx;
      const v = count[i]! > 0 ? sum[i]! / count[i]! : 0;
      sum[i] = v;
      mass += v;
      mx += v * (tx + 0.5);
      my += v * (ty + 0.5);
    }
  }
  const ox = Math.round(SIDE / 2 - mx / mass);
  const oy = Math.round(SIDE / 2 - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const X = tx + ox;
      const Y = ty + oy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(1, sum[ty * tw + tx]!);
    }
  }
  return out;
}
