/**
 * decoder_density.png: the decoder is a distribution, not an image. For a few latent codes
 * (the posterior means of test images of different classes): the mean E[x|z], the per-pixel
 * spread, and images drawn pixel by pixel from p(x|z): variations of one image from one z.
 * Colour images show their mean and draws in colour, and the spread of each pixel as one
 * intensity: the mean of its three channels' spreads, on the sequential color map.
 */
import type { Random } from '../engine/random.js';
import { imageGrid } from './grid.js';
import { sequentialColor } from './palette.js';
import { type DecoderDistribution } from './decoder-distribution.js';
import { createFigure, drawImage, figurePng, text, type Context } from './plot.js';
import type { ImageShape } from './image-shape.js';
import { formatTick, niceTicks } from './ticks.js';
import { font, registerPlotFonts } from './fonts.js';
import { createCanvas } from '@napi-rs/canvas';

export interface DensityRow {
  /** The latent code. */
  z: Float32Array;
  /** Where it came from, e.g. "μ(x) of a test 7" or "μ(x) of a test image (circle)". */
  label: string;
  /** The class a conditional model decodes it as. */
  y?: number;
}

export const DENSITY_DRAWS = 8;

export function decoderDensityFigure(dist: DecoderDistribution, rows: DensityRow[], shape: ImageShape, rng: Random, scale = 3): Uint8Array {
  if (rows.length === 0) throw new RangeError('decoderDensityFigure: no latent points');
  const { channels, height, width } = shape;
  const values = channels * height * width;
  const cellW = width * scale;
  const cellH = height * scale;
  const gap = 14;
  const labelW = 20 + Math.max(...rows.map((r) => measure(r.label, 13)));
  const left = labelW + 20;
  const top = 120;
  const rowH = cellH + 24;
  const drawsX = left + 2 * (cellW + gap) + 20;
  const totalW = drawsX + DENSITY_DRAWS * (cellW + 4) + 110;
  const fig = createFigure(totalW, top + rows.length * rowH + 30);
  const ctx = fig.ctx;
  rows.forEach((row, r) => {
    const d = dist.at(row.z, row.y);
    const y = top + r * rowH;
    text(ctx, row.label, labelW, y + cellH / 2, { size: 13, align: 'right', baseline: 'middle' });
    drawImage(ctx, imageGrid(d.mean, 1, height, width, { scale, padding: 0, channels }), left, y);
    drawColored(ctx, channelMean(d.spread, channels, height * width), dist.spreadMax, height, width, scale, left + cellW + gap, y);
    const draws = new Float32Array(DENSITY_DRAWS * values);
    for (let k = 0; k < DENSITY_DRAWS; k++) draws.set(d.sample(rng), k * values);
    drawImage(ctx, imageGrid(draws, DENSITY_DRAWS, height, width, { cols: DENSITY_DRAWS, scale, padding: 4, background: 0.6, channels }), drawsX - 4, y - 4);
  });
  const header = top - 14;
  text(ctx, 'mean', left + cellW / 2, header - 17, { size: 13, bold: true });
  text(ctx, 'E[x|z]', left + cellW / 2, header, { size: 13 });
  text(ctx, 'spread', left + cellW + gap + cellW / 2, header - 17, { size: 13, bold: true });
  text(ctx, dist.spreadName, left + cellW + gap + cellW / 2, header, { size: 13 });
  const drawsMid = drawsX + (DENSITY_DRAWS * (cellW + 4)) / 2;
  text(ctx, `${DENSITY_DRAWS} images drawn pixel by pixel`, drawsMid, header - 17, { size: 13, bold: true });
  text(ctx, dist.drawsName, drawsMid, header, { size: 13 });
  colorbar(ctx, dist.spreadMax, dist.spreadName, totalW - 80, top, rows.length * rowH - 24);
  text(ctx, 'The decoder as a distribution over every pixel, for single latent points z', fig.width / 2, 30, { size: 17, bold: true });
  const perPixel = channels === 1 ? 'a spread per pixel' : 'a spread per pixel (the mean of its R, G and B spreads)';
  text(ctx, `one z gives a mean image, ${perPixel}, and many different draws: the variations the model allows`, fig.width / 2, 52, { size: 13 });
  return figurePng(fig);
}

/** Per pixel, the mean over the channel planes of a CHW image (the plane itself when grey). */
export function channelMean(values: Float32Array, channels: number, plane: number): Float32Array {
  if (channels === 1) return values;
  const out = new Float32Array(plane);
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) out[i]! += values[c * plane + i]! / channels;
  return out;
}

/** Values in [0, max] as an image on the sequential color map, scaled up by nearest neighbor. */
function drawColored(ctx: Context, values: Float32Array, max: number, height: number, width: number, scale: number, x: number, y: number): void {
  const img = ctx.createImageData(width * scale, height * scale);
  for (let r = 0; r < height * scale; r++) {
    for (let c = 0; c < width * scale; c++) {
      const [R, G, B] = sequentialColor(values[Math.floor(r / scale) * width + Math.floor(c / scale)]! / max);
      const o = 4 * (r * width * scale + c);
      img.data[o] = R;
      img.data[o + 1] = G;
      img.data[o + 2] = B;
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, Math.round(x), Math.round(y));
}

function colorbar(ctx: Context, max: number, name: string, x: number, y: number, height: number): void {
  const w = 16;
  for (let i = 0; i < height; i++) {
    const [R, G, B] = sequentialColor(1 - i / (height - 1));
    ctx.fillStyle = `rgb(${R}, ${G}, ${B})`;
    ctx.fillRect(x, y + i, w, 1);
  }
  ctx.strokeStyle = '#222222';
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w, height);
  const ticks = niceTicks(0, max, 5);
  ctx.font = font(11);
  for (const v of ticks.values) {
    const ty = Math.round(y + height - (v / max) * height) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x + w, ty);
    ctx.lineTo(x + w + 4, ty);
    ctx.stroke();
    text(ctx, formatTick(v, ticks.step), x + w + 7, ty, { size: 11, align: 'left', baseline: 'middle' });
  }
  text(ctx, name, x + w / 2, y - 10, { size: 12 });
}

function measure(s: string, size: number): number {
  registerPlotFonts();
  const ctx = createCanvas(1, 1).getContext('2d');
  ctx.font = font(size);
  return Math.ceil(ctx.measureText(s).width);
}
