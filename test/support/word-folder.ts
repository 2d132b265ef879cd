/**
 * A small folder of word-shaped grey pictures, like the one `vae collect` gathers from a class:
 * "hello" typed in DejaVu faces at seeded slants (shear), sizes and stroke widths, white ink
 * on black, 32x128 PNGs named hello-0001.png, ... with no class folders.
 *
 *   writeWordFolder(dir, { count, seed })  writes the pictures; returns each one's file name,
 *                                          slant (degrees, positive leaning right), size and stroke.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Random } from '../../src/engine/random.js';
import { encodePng } from '../../src/viz/png.js';

export interface WordFolderOptions {
  /** Pictures to write (default 60). */
  count?: number;
  seed?: number;
  word?: string;
  height?: number;
  width?: number;
  /** Spread of the font size around 20 px, and of the stroke width around 1 px (default 1: the full spread). */
  spread?: number;
  /** Faces drawn in (default all three: sans, condensed, serif). */
  faces?: number;
}

export interface WordSample {
  file: string;
  /** Shear angle in degrees: positive leans the word to the right. */
  slant: number;
  fontPx: number;
  stroke: number;
}

const FACES = ['DejaVuSans.ttf', 'DejaVuSansCondensed.ttf', 'DejaVuSerif.ttf'];
const FAMILY = 'VaeWordFixture';
let fontsRegistered = false;

function registerFaces(): void {
  if (fontsRegistered) return;
  const require = createRequire(import.meta.url);
  for (const file of FACES) {
    const path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
    if (GlobalFonts.registerFromPath(path, `${FAMILY}-${file.replace(/\.ttf$/, '')}`) === null) throw new Error(`cannot load ${path}`);
  }
  fontsRegistered = true;
}

export function writeWordFolder(dir: string, opts: WordFolderOptions = {}): WordSample[] {
  registerFaces();
  const count = opts.count ?? 60;
  const height = opts.height ?? 32;
  const width = opts.width ?? 128;
  const word = opts.word ?? 'hello';
  const spread = opts.spread ?? 1;
  const faces = Math.max(1, Math.min(FACES.length, opts.faces ?? FACES.length));
  const rng = new Random(opts.seed ?? 14);
  mkdirSync(dir, { recursive: true });
  const samples: WordSample[] = [];
  for (let i = 0; i < count; i++) {
    const slant = -30 + 60 * rng.uniform();
    const fontPx = 20 + spread * 6 * (rng.uniform() - 0.5);
    const stroke = 1.1 + spread * 1.6 * (rng.uniform() - 0.5);
    const face = FACES[rng.int(faces)]!.replace(/\.ttf$/, '');
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, width, height);
    ctx.font = `${fontPx.toFixed(1)}px ${FAMILY}-${face}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    // Shear about the baseline's centre, so a slanted word stays in the frame.
    const baseline = height / 2 + fontPx * 0.35 + (rng.uniform() - 0.5) * 2;
    const cx = width / 2 + (rng.uniform() - 0.5) * 6;
    ctx.setTransform(1, 0, -Math.tan((slant * Math.PI) / 180), 1, cx + Math.tan((slant * Math.PI) / 180) * baseline, 0);
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = stroke;
    ctx.lineJoin = 'round';
    ctx.fillText(word, 0, baseline);
    ctx.strokeText(word, 0, baseline);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const grey = new Uint8Array(width * height);
    for (let p = 0; p < grey.length; p++) grey[p] = rgba[4 * p]!;
    const file = `${word}-${String(i + 1).padStart(4, '0')}.png`;
    writeFileSync(join(dir, file), encodePng({ width, height, channels: 1, pixels: grey }));
    samples.push({ file, slant, fontPx, stroke });
  }
  return samples;
}
