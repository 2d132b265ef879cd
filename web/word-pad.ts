/**
 * A wide pad to write a word on (mouse, pen or finger), for models of word-shaped grey
 * pictures such as a class's collected "hello"s. The drawing becomes a sample exactly as
 * `vae collect` stores one (src/collect/ink.ts): its ink cut out with a margin, fitted into
 * the model's frame without distortion, ink bright on black. So a word written here is
 * placed where the collection's own words of its style are.
 */
import { sampleFromDrawing } from '../src/collect/ink.js';
import { el, fitCanvas } from './dom.js';
import { followPen, inkSegment, segmentStrokes, showInk, type PadPoint } from './pen-input.js';

/** The backing drawing's height in pixels; its width follows the model's proportions (1024 for 4:1, as the collect pad). */
const BACKING_HEIGHT = 256;
/** Pen width as a share of the pad's height: a felt pen on a phone-sized pad. */
const PEN = 0.055;

export class WordPad {
  readonly canvas: HTMLCanvasElement;
  private readonly ink: CanvasRenderingContext2D;
  private readonly stroke: HTMLCanvasElement;
  private readonly fullW: number;
  private readonly fullH = BACKING_HEIGHT;
  private drawn = false;
  private cssWidth = 320;

  /**
   * @param frame the model's picture size; the pad has its proportions
   * @param onChange called whenever the drawing changes; read `pixels()` when convenient
   */
  constructor(
    private readonly frame: { height: number; width: number },
    private readonly onChange: () => void,
  ) {
    this.fullW = Math.round((BACKING_HEIGHT * frame.width) / frame.height);
    this.canvas = el('canvas', { class: 'pad word-pad', 'aria-label': 'writing pad: write a word here' });
    this.stroke = el('canvas', { width: String(this.fullW), height: String(this.fullH) });
    this.ink = this.stroke.getContext('2d', { willReadFrequently: true })!;
    followPen(this.canvas, () => ({ width: this.fullW, height: this.fullH }), segmentStrokes((from, to) => this.line(from, to)));
    // The finger writes; it does not scroll the page.
    for (const type of ['touchstart', 'touchmove'] as const) this.canvas.addEventListener(type, (e) => e.preventDefault(), { passive: false });
    this.resize(this.cssWidth);
  }

  /** Shows the pad `width` CSS pixels wide (its height follows the frame). */
  resize(width: number): void {
    this.cssWidth = Math.max(120, Math.floor(width));
    this.paint();
  }

  clear(): void {
    this.ink.clearRect(0, 0, this.fullW, this.fullH);
    this.drawn = false;
    this.paint();
    this.onChange();
  }

  private get cssHeight(): number {
    return Math.round((this.cssWidth * this.fullH) / this.fullW);
  }

  private line(from: PadPoint, to: PadPoint): void {
    inkSegment(this.ink, from, to, PEN * this.fullH);
    this.drawn = true;
    this.paint();
    this.onChange();
  }

  private paint(): void {
    const w = this.cssWidth;
    const h = this.cssHeight;
    const ctx = fitCanvas(this.canvas, w, h);
    ctx.fillStyle = '#fbfaf7';
    ctx.fillRect(0, 0, w, h);
    // A baseline to write on.
    ctx.strokeStyle = '#e4e0d6';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(w * 0.04, Math.round(h * 0.72) + 0.5);
    ctx.lineTo(w * 0.96, Math.round(h * 0.72) + 0.5);
    ctx.stroke();
    showInk(ctx, this.drawn ? this.stroke : null, 'write here', w, h);
  }

  /** The writing as the model's input (CHW grey in [0, 1], ink 1), or null while the pad is empty. */
  pixels(): Float32Array | null {
    const rgba = this.ink.getImageData(0, 0, this.fullW, this.fullH).data;
    const sample = sampleFromDrawing(rgba, this.fullW, this.fullH, this.frame);
    return sample === null ? null : Float32Array.from(sample, (b) => b / 255);
  }
}
