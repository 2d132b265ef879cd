/**
 * The figure toolkit piece by piece: ticks, the normal quantile, PCA, the GIF encoder (checked
 * against Skia's GIF decoder, an independent implementation), the snapshot schedule and file,
 * and a few figures drawn from made-up data, decoded with pngjs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { niceTicks, formatTick } from '../src/viz/ticks.js';
import { normalQuantile, gaussianGrid } from '../src/viz/gaussian.js';
import { latentPlane, principalDirections, project, embed } from '../src/viz/latent-plane.js';
import { encodeGif, lzwEncode } from '../src/viz/gif.js';
import { Random } from '../src/engine/random.js';
import { decodeSnapshots, encodeSnapshots, isSnapshotStep, type LatentSnapshots } from '../src/train/snapshots.js';
import { latentScatterFigure } from '../src/viz/latent-figures.js';
import { evolutionStripFigure, evenlySpread } from '../src/viz/evolution.js';
import { latentMarginalsFigure, activeDimensions, marginalSnapshots } from '../src/viz/marginals.js';
import { lossCurvesFigure } from '../src/viz/loss-curves.js';
import { reportHtml, escapeHtml } from '../src/viz/report.js';
import { defaultRunConfig } from '../src/train/config.js';
import { CLASS_COLORS } from '../src/viz/palette.js';
import { DIGIT_WORDS } from '../src/viz/words.js';
import type { EpochMetrics } from '../src/train/trainer.js';
import { decodePng, parseGif } from './viz-helpers.js';

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

// --- ticks ---------------------------------------------------------------------------

test('ticks fall on 1-2-5 steps inside the range', () => {
  assert.deepEqual(niceTicks(0, 10, 5), { values: [0, 2, 4, 6, 8, 10], step: 2 });
  assert.deepEqual(niceTicks(-4.2, 4.2, 4).values, [-4, -2, 0, 2, 4]);
  const t = niceTicks(0.013, 0.251, 5);
  assert.equal(t.step, 0.05);
  assert.deepEqual(t.values.map((v) => formatTick(v, t.step)), ['0.05', '0.10', '0.15', '0.20', '0.25']);
  assert.equal(formatTick(-3, 1), '\u22123');
  assert.equal(formatTick(-0, 0.1), '0.0');
  assert.ok(niceTicks(5, 5).values.includes(5), 'a zero-width range is widened around its value');
  assert.throws(() => niceTicks(0, Infinity), RangeError);
});

// --- the normal distribution -----------------------------------------------------------

test('normalQuantile inverts the normal CDF', () => {
  // Reference values of the standard normal quantile.
  const known: Array<[number, number]> = [[0.5, 0], [0.975, 1.959963985], [0.84134474607, 1], [0.001, -3.090232306], [0.025, -1.959963985]];
  for (const [p, z] of known) assert.ok(Math.abs(normalQuantile(p) - z) < 1e-6, `p=${p}: ${normalQuantile(p)} vs ${z}`);
  const g = gaussianGrid(20);
  assert.equal(g.length, 20);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(g[i]! + g[19 - i]!) < 1e-9, 'the grid is symmetric about 0');
  assert.ok(g.every((v, i) => i === 0 || v > g[i - 1]!));
  assert.throws(() => normalQuantile(1), RangeError);
});

// --- PCA -------------------------------------------------------------------------------

test('principal directions recover a known covariance', () => {
  // Points in 5-D with standard deviations 3, 2, 0.5, 0.2, 0.1 along a rotated basis.
  const L = 5;
  const n = 4000;
  const rng = new Random(3);
  const basis = [
    [0.6, 0.8, 0, 0, 0],
    [-0.8, 0.6, 0, 0, 0],
    [0, 0, 1, 0, 0],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 1, 0],
  ];
  const sd = [3, 2, 0.5, 0.2, 0.1];
  const z = new Float32Array(n * L);
  const eps = rng.fillNormal(new Float32Array(n * L));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < L; k++) for (let j = 0; j < L; j++) z[i * L + j]! += sd[k]! * eps[i * L + k]! * basis[k]![j]! + (j === 2 ? 1 : 0) / L;
  }
  const { directions, explained } = principalDirections(z, n, L);
  const v1 = Array.from(directions.subarray(0, L));
  const v2 = Array.from(directions.subarray(L));
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, j) => s + x * b[j]!, 0);
  assert.ok(Math.abs(Math.abs(dot(v1, basis[0]!)) - 1) < 1e-3, `v1 = ${v1}`);
  assert.ok(Math.abs(Math.abs(dot(v2, basis[1]!)) - 1) < 1e-3, `v2 = ${v2}`);
  assert.ok(Math.abs(dot(v1, v2)) < 1e-9, 'orthogonal');
  assert.ok(Math.abs(dot(v1, v1) - 1) < 1e-9 && Math.abs(dot(v2, v2) - 1) < 1e-9, 'unit length');
  // Signs are fixed: the largest entry of each direction is positive.
  for (const v of [v1, v2]) assert.ok(v.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) > 0);
  const total = sd.reduce((s, x) => s + x * x, 0);
  assert.ok(Math.abs(explained[0] - 9 / total) < 0.03, `explained ${explained}`);
  assert.ok(Math.abs(explained[1] - 4 / total) < 0.03, `explained ${explained}`);
  // Same data, same answer, to the bit.
  assert.deepEqual(principalDirections(z, n, L).directions, directions);

  // Projection does not center: the origin stays the origin, and embed inverts project in the plane.
  const plane = latentPlane(z, n, L);
  assert.equal(plane.kind, 'pca');
  assert.match(plane.xLabel, /^PC1 \(\d+% of variance\)$/);
  const code = new Float32Array(L);
  embed(plane, 1.5, -0.5, code);
  const back = project(plane, code, 1);
  assert.ok(Math.abs(back.x[0]! - 1.5) < 1e-6 && Math.abs(back.y[0]! + 0.5) < 1e-6);
  assert.deepEqual(Array.from(project(plane, new Float32Array(L), 1).x), [0]);
  assert.equal(latentPlane(z.subarray(0, 2 * n), n, 2).kind, 'latent');
});

// --- GIF -------------------------------------------------------------------------------

async function decodeFirstGifFrame(bytes: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  const img = await loadImage(Buffer.from(bytes));
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, rgba: ctx.getImageData(0, 0, img.width, img.height).data };
}

test('GIF frames decode exactly in an independent decoder, through table resets', async () => {
  // Few colors (a palette-exact image) but noisy enough to fill the 4096-code table many times.
  const width = 300;
  const height = 200;
  const colors = CLASS_COLORS.map(hexRgb);
  const rng = new Random(9);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const c = colors[rng.uniform() < 0.7 ? Math.floor(i / 1000) % 10 : rng.int(10)]!;
    rgb.set(c, 3 * i);
  }
  const second = new Uint8Array(rgb.length).fill(255);
  const gif = encodeGif(width, height, [{ rgb, delay: 50 }, { rgb: second, delay: 120 }]);
  assert.deepEqual(parseGif(gif), { width, height, frames: 2, delays: [50, 120], loops: true });
  const decoded = await decodeFirstGifFrame(gif);
  assert.equal(decoded.width, width);
  assert.equal(decoded.height, height);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      if (decoded.rgba[4 * i + c] !== rgb[3 * i + c]) assert.fail(`pixel ${i} channel ${c}: ${decoded.rgba[4 * i + c]} != ${rgb[3 * i + c]}`);
    }
  }
  assert.throws(() => encodeGif(2, 2, []), RangeError);
  assert.throws(() => encodeGif(2, 2, [{ rgb: new Uint8Array(5), delay: 1 }]), RangeError);
});

test('LZW codes grow from 9 bits and the stream starts with a clear code', () => {
  const out = lzwEncode(new Uint8Array([1, 1, 1, 1]), 8);
  // 256 (clear) then 1, 258 ("1 1"), 1, 257 (end): five 9-bit codes, LSB first.
  const codes = [256, 1, 258, 1, 257];
  let bits = 0n;
  codes.forEach((c, i) => (bits |= BigInt(c) << BigInt(9 * i)));
  const expected = Array.from({ length: Math.ceil((9 * codes.length) / 8) }, (_, i) => Number((bits >> BigInt(8 * i)) & 0xffn));
  assert.deepEqual(Array.from(out), expected);
});

// --- snapshots -------------------------------------------------------------------------

test('snapshots are due before training, early in the first epoch, and at every epoch end', () => {
  const due = (B: number, upto: number): number[] => Array.from({ length: upto + 1 }, (_, s) => s).filter((s) => isSnapshotStep(s, B));
  assert.deepEqual(due(16, 48), [0, 2, 4, 8, 12, 16, 32, 48]);
  assert.deepEqual(due(469, 469 * 3), [0, 59, 117, 235, 352, 469, 938, 1407]);
  assert.deepEqual(due(1, 3), [0, 1, 2, 3]);
  // Even a one-epoch run gives at least 6 frames once an epoch has 8 batches.
  assert.ok(due(8, 8).length >= 6);
});

function fakeSnapshots(latent: number, count: number, steps: number[]): LatentSnapshots {
  const rng = new Random(5);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return {
    latent,
    count,
    labels,
    batchesPerEpoch: 16,
    snapshots: steps.map((step, k) => {
      // Clusters by label that spread out with training, as a trained encoder's do.
      const spread = k / Math.max(1, steps.length - 1);
      const mu = new Float32Array(count * latent);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < latent; j++) mu[i * latent + j] = spread * (2 * Math.cos(labels[i]! + j) + 0.3 * (rng.uniform() - 0.5));
      }
      return { step, mu, logvar: new Float32Array(count * latent).fill(-2 * spread) };
    }),
  };
}

test('a snapshot file round-trips, and damaged ones are refused with a clear error', () => {
  const record = fakeSnapshots(3, 50, [0, 2, 4, 16]);
  const bytes = encodeSnapshots(record);
  const back = decodeSnapshots(bytes, 'x');
  assert.deepEqual(back, record);
  assert.throws(() => decodeSnapshots(bytes.subarray(0, bytes.length - 7), 'cut.safetensors'), /cut\.safetensors/);
  const unordered = { ...record, snapshots: [record.snapshots[1]!, record.snapshots[0]!] };
  assert.throws(() => decodeSnapshots(encodeSnapshots(unordered), 'u'), /increasing/);
});

test('marginals show start, middle and end, and the most active dimensions', () => {
  const record = fakeSnapshots(6, 40, [0, 2, 4, 8, 12, 16, 32, 48, 64, 80]);
  assert.deepEqual(marginalSnapshots(record), [0, 6, 9]);
  // Give dimension 5 by far the largest spread at the end.
  const last = record.snapshots[record.snapshots.length - 1]!;
  for (let i = 0; i < 40; i++) last.mu[i * 6 + 5] = 10 * (i % 2 ? 1 : -1);
  assert.ok(activeDimensions(record).includes(5));
  assert.equal(activeDimensions(record).length, 4);
  assert.deepEqual(evenlySpread(10, 8), [0, 1, 3, 4, 5, 6, 8, 9]);
  assert.deepEqual(evenlySpread(5, 8), [0, 1, 2, 3, 4]);
});

// --- figures from made-up data -----------------------------------------------------------

test('plots are drawn at their size, not blank, with the class colors in them', () => {
  const record = fakeSnapshots(2, 300, [0, 2, 4, 8, 12, 16]);
  const last = record.snapshots[record.snapshots.length - 1]!;
  const plane = latentPlane(last.mu, record.count, 2);
  const scatter = decodePng(latentScatterFigure(plane, last.mu, record.labels, record.count, false, DIGIT_WORDS));
  assert.equal(scatter.width, 860);
  assert.equal(scatter.height, 720);
  assert.ok(scatter.variance > 100, `variance ${scatter.variance}`);
  // Every class color appears exactly somewhere (in the points or the legend).
  for (const hex of CLASS_COLORS) {
    const [r, g, b] = hexRgb(hex);
    let found = false;
    for (let i = 0; i < scatter.rgba.length && !found; i += 4) found = scatter.rgba[i] === r && scatter.rgba[i + 1] === g && scatter.rgba[i + 2] === b;
    assert.ok(found, `color ${hex} missing from the scatter`);
  }
  for (const bytes of [evolutionStripFigure(plane, record, DIGIT_WORDS), latentMarginalsFigure(record, 1, DIGIT_WORDS)]) {
    const img = decodePng(bytes);
    assert.ok(img.width > 600 && img.height > 400, `${img.width}x${img.height}`);
    assert.ok(img.variance > 100);
  }
  const history: EpochMetrics[] = [1, 2, 3].map((epoch) => ({
    epoch, step: epoch * 10, train_nelbo: 200 / epoch, train_recon: 190 / epoch, train_kl: 10, test_nelbo: 190 / epoch, test_recon: 180 / epoch, test_kl: 10 + epoch,
    seconds: 1, samples_per_sec: 1,
  }));
  const curves = decodePng(lossCurvesFigure(history));
  assert.equal(curves.width, 1240);
  assert.ok(curves.variance > 100);
  assert.throws(() => lossCurvesFigure([]), RangeError);
});

test('the report escapes what it quotes and embeds what it shows', () => {
  assert.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  const config = defaultRunConfig();
  config.training.dataset = 'idx:/data/<odd>';
  const png = new Uint8Array([1, 2, 3]);
  const html = reportHtml({ config, epoch: 3, final: undefined, figures: [{ file: 'a.png', title: 'A', caption: 'says <what>', bytes: png }], missing: [{ file: 'b.gif', reason: 'none' }], words: DIGIT_WORDS });
  assert.ok(html.includes('idx:/data/&lt;odd&gt;'));
  assert.ok(!html.includes('<odd>'));
  assert.ok(html.includes(`src="data:image/png;base64,${Buffer.from(png).toString('base64')}"`));
  assert.ok(html.includes('says &lt;what&gt;'));
  assert.match(html, /b\.gif: none/);
  assert.doesNotMatch(html, /<script|https?:\/\//, 'self-contained: no scripts, no links out');
});
