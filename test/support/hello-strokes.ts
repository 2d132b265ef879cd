/**
 * Handwritten "hello"s without a hand: seeded pen paths of a cursive h-e-l-l-o, each with a
 * known slant, size, letter width and pen, as a person would draw them on the collect page's
 * pad (1024 x 256, CSS pixels, y down), and a renderer that draws them the way the page does
 * (dark round-capped ink on white) and stores them the way `vae collect` does
 * (`sampleFromDrawing`, then a grey PNG named hello-0001.png, ...).
 *
 * The word is drawn in letter units: baseline at 0, x-height 1, ascenders about 2.3, y up.
 * Each sample jitters the letters' control points a little (no two hands are alike), smooths
 * them into a polyline (Catmull-Rom), stretches it sideways by its letter width, shears it by
 * its slant about the baseline (x += tan(slant) * height above the baseline, so a positive
 * slant leans the top to the right, the sign of `slant_deg` in src/measure/glyph.ts), scales
 * it to its size and places it on the pad. The slant is the shear the generator applied: the
 * upright word itself measures a few degrees of its own, the same for every sample but for
 * the jitter, so measured slants follow the known ones with an offset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { Random } from '../../src/engine/random.js';
import { sampleFromDrawing, SAMPLE_FRAME } from '../../src/collect/ink.js';
import { encodePng } from '../../src/viz/png.js';
import { PEN_WIDTHS, PENS, type Pen } from '../../src/collect/pens.js';

export interface Point {
  x: number;
  y: number;
}

/**
 * What `vae train --dataset folder:DIR` is given beyond the folder, in the tests that train on
 * collected hellos (test/handwriting-factors.test.ts, and the browser end-to-end): nothing. A
 * small grey folder gets its plane (2-D latent), handwriting augmentation and 1,000 steps by
 * default, and those tests check that the defaults are enough.
 */
export const HELLO_TRAIN_FLAGS: readonly string[] = [];

/** The collect page's drawing pad, in CSS pixels. */
export const PAD = { width: 1024, height: 256 } as const;

/** The page's pens (pad pixels), so a generated hello is drawn as the page's buttons draw. */
export { PEN_WIDTHS, type Pen } from '../../src/collect/pens.js';

export interface HelloSample {
  /** Pen paths in pad coordinates (x right, y down); each is one pen-down ... pen-up. */
  strokes: Point[][];
  /** The shear applied, degrees; positive: the top leans right. */
  slantDeg: number;
  /** Pad pixels per letter unit (the x-height). */
  size: number;
  /** Sideways stretch of the letters (1: the model word's proportions). */
  letterWidth: number;
  pen: Pen;
  penWidth: number;
}

export interface HelloOptions {
  /** Slants are drawn uniformly from [-maxSlant, +maxSlant] degrees (default 30). */
  maxSlant?: number;
  /** Sizes (pad pixels per x-height) drawn uniformly from this range (default [50, 80]). */
  size?: [number, number];
  /** Letter width stretch drawn uniformly from this range (default [0.85, 1.25]). */
  letterWidth?: [number, number];
  /** Standard deviation of the control points' jitter, letter units (default 0.05). */
  jitter?: number;
  /** Pens to choose from, uniformly (default all three). */
  pens?: readonly Pen[];
}

/*
 * The model word, one control polygon per pen stroke: a lead-in from the baseline, the
 * looped ascender of h and its arch, the loop of e, two looped l's, the o closed at its top
 * and its little exit stroke. Units as above (y up). Catmull-Rom passes through every point.
 */
const WORD: readonly (readonly [number, number])[][] = [
  [
    // lead-in and h's ascender loop, down the stem
    [0.0, 0.05], [0.25, 0.5], [0.55, 1.4], [0.68, 2.05], [0.55, 2.35], [0.38, 2.1], [0.33, 1.4], [0.3, 0.6], [0.28, 0.0],
    // h's arch, from low on the stem
    [0.36, 0.55], [0.55, 0.92], [0.78, 0.95], [0.9, 0.65], [0.9, 0.25], [0.98, 0.02],
    // e
    [1.2, 0.12], [1.48, 0.42], [1.68, 0.72], [1.6, 0.98], [1.4, 0.9], [1.32, 0.55], [1.4, 0.15], [1.62, 0.0],
    // first l
    [1.88, 0.25], [2.1, 0.95], [2.25, 1.75], [2.18, 2.32], [2.0, 2.22], [1.96, 1.5], [2.0, 0.6], [2.12, 0.02],
    // second l
    [2.38, 0.25], [2.6, 0.95], [2.75, 1.75], [2.68, 2.32], [2.5, 2.22], [2.46, 1.5], [2.5, 0.6], [2.62, 0.02],
    // o, from its bottom-left up round to the top, and its exit
    [2.9, 0.3], [3.15, 0.85], [3.3, 1.0], [3.12, 0.95], [2.98, 0.6], [3.05, 0.1], [3.32, 0.02], [3.5, 0.45], [3.42, 0.9], [3.3, 1.0],
    [3.5, 0.92], [3.75, 0.95],
  ],
];

/** The model word's letters are drawn narrow; this spreads them to a cursive hand's proportions. */
const LETTER_SPACING = 1.4;

/** A Catmull-Rom spline through the points, `per` samples between each two. */
function smooth(points: Point[], per: number): Point[] {
  const out: Point[] = [];
  const at = (i: number): Point => points[Math.max(0, Math.min(points.length - 1, i))]!;
  for (let i = 0; i < points.length - 1; i++) {
    const [p0, p1, p2, p3] = [at(i - 1), at(i), at(i + 1), at(i + 2)];
    for (let k = 0; k < per; k++) {
      const t = k / per;
      const t2 = t * t;
      const t3 = t2 * t;
      const f = (a: number, b: number, c: number, d: number): number =>
        0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      out.push({ x: f(p0.x, p1.x, p2.x, p3.x), y: f(p0.y, p1.y, p2.y, p3.y) });
    }
  }
  out.push(points[points.length - 1]!);
  return out;
}

function between(rng: Random, [lo, hi]: [number, number]): number {
  return lo + (hi - lo) * rng.uniform();
}

function normal(rng: Random): number {
  // Box-Muller on two uniforms; 1 - u keeps the logarithm finite.
  const u = 1 - rng.uniform();
  const v = rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One "hello": its draws come from `rng` in a fixed order, so a seed gives the same word. */
export function helloSample(rng: Random, opts: HelloOptions = {}): HelloSample {
  const maxSlant = opts.maxSlant ?? 30;
  const slantDeg = -maxSlant + 2 * maxSlant * rng.uniform();
  const size = between(rng, opts.size ?? [50, 80]);
  const letterWidth = between(rng, opts.letterWidth ?? [0.85, 1.25]);
  const pens = opts.pens ?? PENS;
  const pen = pens[rng.int(pens.length)]!;
  const jitter = opts.jitter ?? 0.05;
  const shear = Math.tan((slantDeg * Math.PI) / 180);
  // Each letter's points share part of their jitter, so a letter moves as one as well as bends.
  const strokes = WORD.map((control) => {
    const jittered = control.map(([x, y]) => ({ x: x * LETTER_SPACING * letterWidth + jitter * normal(rng), y: y + jitter * normal(rng) }));
    return smooth(jittered, 8).map((p) => ({ x: p.x + shear * p.y, y: p.y }));
  });
  // Onto the pad: scaled, y turned down, centred with a little play, kept inside the pad.
  const all = strokes.flat();
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const room = { x: PAD.width - (x1 - x0) * size - PEN_WIDTHS[pen], y: PAD.height - (y1 - y0) * size - PEN_WIDTHS[pen] };
  if (room.x < 0 || room.y < 0) throw new RangeError(`a hello of size ${size.toFixed(1)} and slant ${slantDeg.toFixed(1)} does not fit the pad`);
  const left = PAD.width / 2 - ((x1 - x0) * size) / 2 + (rng.uniform() - 0.5) * 0.5 * room.x;
  const top = PAD.height / 2 - ((y1 - y0) * size) / 2 + (rng.uniform() - 0.5) * 0.5 * room.y;
  const onPad = strokes.map((s) => s.map((p) => ({ x: left + (p.x - x0) * size, y: top + (y1 - p.y) * size })));
  return { strokes: onPad, slantDeg, size, letterWidth, pen, penWidth: PEN_WIDTHS[pen] };
}

/** `count` samples from one seed. */
export function helloSamples(count: number, seed: number, opts: HelloOptions = {}): HelloSample[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => helloSample(rng, opts));
}

/** The pad after drawing the sample, as the page's canvas holds it: RGBA, black ink on white. */
export function renderDrawing(sample: HelloSample): Uint8Array {
  const canvas = createCanvas(PAD.width, PAD.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, PAD.width, PAD.height);
  ctx.strokeStyle = '#000';
  ctx.lineWidth = sample.penWidth;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const stroke of sample.strokes) {
    ctx.beginPath();
    ctx.moveTo(stroke[0]!.x, stroke[0]!.y);
    for (const p of stroke.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
  const data = ctx.getImageData(0, 0, PAD.width, PAD.height).data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The stored sample of a drawn hello: SAMPLE_FRAME grey bytes, ink bright on black. */
export function storedSample(sample: HelloSample): Uint8Array {
  const stored = sampleFromDrawing(renderDrawing(sample), PAD.width, PAD.height);
  if (stored === null) throw new Error('a hello drew no ink');
  return stored;
}

/** The file name `vae collect` gives the n-th (1-based) submission of the prompt "hello". */
export function helloFileName(n: number): string {
  return `hello-${String(n).padStart(4, '0')}.png`;
}

export interface HelloFolder {
  dir: string;
  samples: HelloSample[];
  /** File name -> the sample drawn in it. */
  byFile: Map<string, HelloSample>;
}

/** `count` hellos drawn, stored and written into `dir` as a collected folder (hello-0001.png, ...). */
export function writeHelloFolder(dir: string, count: number, seed: number, opts: HelloOptions = {}): HelloFolder {
  mkdirSync(dir, { recursive: true });
  const samples = helloSamples(count, seed, opts);
  const byFile = new Map<string, HelloSample>();
  samples.forEach((sample, i) => {
    const name = helloFileName(i + 1);
    const pixels = storedSample(sample);
    writeFileSync(join(dir, name), encodePng({ width: SAMPLE_FRAME.width, height: SAMPLE_FRAME.height, channels: 1, pixels }));
    byFile.set(name, sample);
  });
  return { dir, samples, byFile };
}
