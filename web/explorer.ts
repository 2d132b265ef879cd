/**
 * The latent space explorer. The model's weights are fetched once; from then on every image
 * on the page is computed here, by the toolkit's own engine on its wasm kernels (js when wasm does not load): the
 * decoder for the point under the pointer, the encoder for the digit on the pad. A
 * conditional model gets a class picker: the chosen class is what the decoder draws and what
 * the encoder is told the drawing is.
 */
import { Tensor, noGrad, setKernels } from '../src/engine/tensor.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadBrowserWasmKernels } from '../src/kernels/wasm-browser.js';
import { Random } from '../src/engine/random.js';
import { decodeDisplayMean, decodePixels } from '../src/vae/decoded-pixels.js';
import { describeModel } from '../src/vae/describe.js';
import type { VAE } from '../src/vae/model.js';
import { decodeModelPayload } from '../src/server/model-payload.js';
import { byId, digitCanvas, digitLegend, el, forgetAddressToken, formatTick, paintDigit } from './dom.js';
import { DrawingPad } from './drawing-pad.js';
import { Scatter } from './scatter.js';

interface Info {
  live: boolean;
  model: null | { version: string; epoch: number; epochs: number; dataset: string; config: { inputDim: number; hidden: number[]; latent: number; imageHeight: number; imageWidth: number } };
  files: string[];
}

interface Encodings {
  version: string;
  count: number;
  latent: number;
  labels: number[];
  mu: number[];
}

const STRIP_STEPS = 10;
const VARIATIONS = 5;

async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText}`);
  return (await res.json()) as T;
}

function setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
  const status = byId('status');
  status.textContent = text;
  status.className = `status ${kind}`;
  status.hidden = text === '';
}

/**
 * The kernels the page decodes and encodes on: the wasm kernels on this one thread (a page's
 * main thread may not block, so no helpers), or the portable js kernels when wasm does not
 * load or the address says `kernels=js`. Returns what the page shows.
 */
async function pickExplorerKernels(): Promise<string> {
  if (new URLSearchParams(location.search).get('kernels') !== 'js') {
    try {
      setKernels((await loadBrowserWasmKernels(new URL('/wasm/', location.href))).kernels);
      return 'wasm';
    } catch (err) {
      console.warn(`the wasm kernels did not load, decoding on js: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  setKernels(jsKernels);
  return 'js';
}

let pageKernels = 'js';

async function main(): Promise<void> {
  pageKernels = await pickExplorerKernels();
  document.body.dataset.kernels = pageKernels;
  const info = await fetchJson<Info>('/api/info');
  if (info.live) byId('nav').append(el('a', { href: '/live', class: 'nav-link' }, 'Live training \u2192'));
  if (info.model === null) {
    setStatus('No checkpoint yet: the first one is written when epoch 1 ends. This page reloads itself then.');
    setTimeout(() => location.reload(), 5000);
    return;
  }
  const res = await fetch('/api/model', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/api/model: ${res.status}`);
  const { model, info: modelInfo } = decodeModelPayload(new Uint8Array(await res.arrayBuffer()));
  const c = model.config;
  byId('model-facts').textContent =
    `${describeModel(c)} \u00b7 ${c.latent}-dimensional latent \u00b7 ` +
    `trained ${modelInfo.epoch} epoch${modelInfo.epoch === 1 ? '' : 's'} on ${info.model.dataset}`;
  setStatus('');
  byId('explorer').hidden = false;
  new Explorer(model);
  // For scripting the page from the console (and its tests): the decoder's mean images of
  // latent codes, on the page's kernels.
  (window as unknown as { vaeExplorer: unknown }).vaeExplorer = {
    kernels: pageKernels,
    decode: (z: number[], y?: number): number[] => {
      const labels = (c.classes ?? 0) === 0 ? undefined : [y ?? 0];
      return Array.from(decodeDisplayMean(model, new Tensor(Float32Array.from(z), [1, c.latent]), labels));
    },
  };
  document.body.dataset.model = 'ready';
}

class Explorer {
  private readonly latent: number;
  private readonly h: number;
  private readonly w: number;
  /** The point being decoded. */
  private readonly z: Float32Array;
  /** The two latent dimensions the plane shows. */
  private dims: [number, number] = [0, 1];
  private readonly scatter: Scatter;
  private encodings: Encodings | null = null;
  private ends: Float32Array[] = [];
  private posterior: { mu: Float32Array; sigma: Float32Array } | null = null;
  private readonly pad: DrawingPad;
  private readonly decoded = digitCanvas(140, 'digit big');
  private readonly variations: HTMLCanvasElement[] = [];
  private readonly strip: HTMLCanvasElement[] = [];
  private readonly padInput = digitCanvas(64);
  private readonly reconstruction = digitCanvas(64);
  private readonly sliders: HTMLInputElement[] = [];
  private variationSeed = 1;
  private decodeTimes: number[] = [];
  private frameRequested = false;
  private decodeDirty = true;
  private padDirty = false;
  private pressedAt: [number, number] | null = null;
  /** The class given to a conditional model's decoder and encoder; undefined for an ordinary model. */
  private y: number | undefined;

  constructor(private readonly model: VAE) {
    const c = model.config;
    this.latent = c.latent;
    this.h = c.imageHeight;
    this.w = c.imageWidth;
    this.z = new Float32Array(this.latent);
    if (this.latent === 1) this.dims = [0, 0];
    if (model.classes > 0) this.buildClassPicker(model.classes);
    if (c.likelihood !== 'bernoulli') {
      byId('decoder-hint').textContent = 'The digit at the point under your pointer: each pixel is the mean grey level of its Gaussian.';
      byId('variations-hint').firstChild!.textContent = 'The mean image, then digits drawn pixel by pixel: mean + \u03c3\u00b7\u03b5, clamped to the grey scale. ';
    }

    this.scatter = new Scatter('z\u2081', this.latent > 1 ? 'z\u2082' : '(unused)', 'latent plane: move to decode, click two points to interpolate');
    byId('legend').append(digitLegend());
    byId('plane-box').append(this.scatter.root);
    this.listenOnPlane(this.scatter.overlay);

    byId('decoded-box').append(this.decoded);
    this.decoded.id = 'decoded';
    for (let i = 0; i <= VARIATIONS; i++) {
      const v = digitCanvas(52);
      if (i === 0) v.classList.add('mean');
      this.variations.push(v);
      byId('variations').append(el('figure', {}, v, el('figcaption', {}, i === 0 ? 'mean' : `draw ${i}`)));
    }
    byId('resample').addEventListener('click', () => {
      this.variationSeed++;
      this.decodeDirty = true;
      this.request();
    });

    for (let i = 0; i < STRIP_STEPS; i++) {
      const s = digitCanvas(56, 'digit step');
      this.strip.push(s);
      byId('strip').append(el('figure', {}, s, el('figcaption', {}, i === 0 ? 'A' : i === STRIP_STEPS - 1 ? 'B' : `${i}/${STRIP_STEPS - 1}`)));
    }

    this.pad = new DrawingPad(() => {
      this.padDirty = true;
      this.request();
    });
    this.pad.canvas.id = 'pad';
    this.padInput.id = 'pad-input';
    this.reconstruction.id = 'reconstruction';
    byId('pad-box').append(this.pad.canvas);
    byId('pad-input-box').append(this.padInput);
    byId('reconstruction-box').append(this.reconstruction);
    byId('clear').addEventListener('click', () => this.pad.clear());

    if (this.latent > 2) this.buildDimensionControls();
    this.layout();
    window.addEventListener('resize', () => this.layout());
    this.request();
    void this.loadEncodings();
  }

  private async loadEncodings(): Promise<void> {
    const note = byId('plane-note');
    note.textContent = 'Placing the test digits\u2026';
    try {
      this.encodings = await fetchJson<Encodings>('/api/encodings');
      note.textContent = `${this.encodings.count.toLocaleString('en-US')} test digits`;
      this.plotEncodings();
      document.body.dataset.encodings = 'ready';
    } catch (err) {
      note.textContent = `The test digits could not be placed (${(err as Error).message}); the decoder still works.`;
    }
  }

  private plotEncodings(): void {
    const e = this.encodings;
    if (e === null) {
      this.scatter.draw();
      return;
    }
    const [dx, dy] = this.dims;
    const xy = new Float32Array(e.count * 2);
    for (let i = 0; i < e.count; i++) {
      xy[2 * i] = e.mu[i * e.latent + dx]!;
      xy[2 * i + 1] = this.latent > 1 ? e.mu[i * e.latent + dy]! : 0;
    }
    this.scatter.setPoints(xy, e.labels);
    this.request();
  }

  private layout(): void {
    const box = byId('plane-box');
    const available = box.clientWidth;
    // On a wide screen the plane fits the window's height, or the column beside it if that
    // is taller; on a phone, its width.
    let tall = Infinity;
    if (window.innerWidth >= 900) {
      const card = box.closest('.card')!.getBoundingClientRect();
      const beside = document.querySelector('.side')!.getBoundingClientRect().height;
      const chrome = box.getBoundingClientRect().top - card.top + 44;
      tall = Math.max(360, window.innerHeight - 270, beside - chrome);
    }
    this.scatter.resize(Math.min(available, tall, 680));
    const padSize = Math.min(196, Math.max(140, byId('pad-box').clientWidth || 196));
    this.pad.resize(padSize);
    this.request();
  }

  /** Buttons for the classes of a conditional model (a list box when there are many). */
  private buildClassPicker(classes: number): void {
    this.y = 0;
    const picker = byId('class-picker');
    const choose = (y: number): void => {
      this.y = y;
      picker.dataset.y = String(y);
      for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', String(Number(b.dataset.y) === y));
      // Everything on the page that decodes or encodes depends on the class.
      this.decodeDirty = true;
      this.padDirty = this.pad?.pixels() !== null;
      if (this.ends.length === 2) this.paintStrip();
      this.request();
    };
    const label = el('span', { class: 'class-label' }, 'Class ', el('var', {}, 'y'), ' given to the decoder and the encoder:');
    if (classes <= 20) {
      const buttons = Array.from({ length: classes }, (_, k) => {
        const b = el('button', { type: 'button', class: 'class-button', 'data-y': String(k), 'aria-pressed': String(k === 0) }, String(k));
        b.addEventListener('click', () => choose(k));
        return b;
      });
      picker.append(label, ...buttons);
    } else {
      const select = el('select', { 'aria-label': 'class' }, ...Array.from({ length: classes }, (_, k) => el('option', { value: String(k) }, String(k))));
      select.addEventListener('change', () => choose(Number(select.value)));
      picker.append(label, select);
    }
    picker.dataset.y = '0';
    picker.hidden = false;
    byId('class-note').hidden = false;
  }

  /** The labels for `count` codes decoded or encoded together, for a conditional model. */
  private labels(count: number): Uint16Array | undefined {
    return this.y === undefined ? undefined : new Uint16Array(count).fill(this.y);
  }

  private buildDimensionControls(): void {
    const names = Array.from({ length: this.latent }, (_, i) => `z${i + 1}`);
    const pick = (which: 0 | 1): HTMLSelectElement => {
      const select = el('select', { 'aria-label': which === 0 ? 'horizontal axis' : 'vertical axis' }, ...names.map((n, i) => el('option', { value: String(i) }, n)));
      select.value = String(this.dims[which]);
      select.addEventListener('change', () => {
        const d = Number(select.value);
        if (d === this.dims[1 - which]) {
          select.value = String(this.dims[which]);
          return;
        }
        this.dims[which] = d;
        this.scatter.setAxisNames(`z${this.dims[0] + 1}`, `z${this.dims[1] + 1}`);
        this.plotEncodings();
        this.syncSliders();
      });
      return select;
    };
    const picker = byId('axes-picker');
    picker.append('Plane shows ', pick(0), ' across and ', pick(1), ' up.');
    picker.hidden = false;
    this.scatter.setAxisNames('z1', 'z2');

    const grid = byId('sliders');
    for (let i = 0; i < this.latent; i++) {
      const slider = el('input', { type: 'range', min: '-3', max: '3', step: '0.01', value: '0', 'aria-label': `z${i + 1}` });
      const value = el('output', {}, '0.00');
      slider.addEventListener('input', () => {
        this.z[i] = Number(slider.value);
        value.textContent = Number(slider.value).toFixed(2);
        this.decodeDirty = true;
        this.request();
      });
      this.sliders.push(slider);
      grid.append(el('label', { class: 'slider' }, el('span', {}, `z${i + 1}`), slider, value));
    }
    byId('sliders-card').hidden = false;
    this.syncSliders();
  }

  private syncSliders(): void {
    this.sliders.forEach((s, i) => {
      s.value = String(this.z[i]);
      (s.nextElementSibling as HTMLOutputElement).textContent = this.z[i]!.toFixed(2);
      s.parentElement!.classList.toggle('on-plane', this.dims.includes(i));
    });
  }

  private listenOnPlane(target: HTMLCanvasElement): void {
    const local = (e: PointerEvent): [number, number] => {
      const box = target.getBoundingClientRect();
      return [e.clientX - box.left, e.clientY - box.top];
    };
    const follow = (e: PointerEvent): void => {
      const [px, py] = local(e);
      const p = this.scatter.toLatent(px, py);
      if (p === null) return;
      this.z[this.dims[0]] = p[0];
      if (this.latent > 1) this.z[this.dims[1]] = p[1];
      this.decodeDirty = true;
      if (this.sliders.length > 0) this.syncSliders();
      this.request();
    };
    target.addEventListener('pointermove', follow);
    target.addEventListener('pointerdown', (e) => {
      target.setPointerCapture(e.pointerId);
      this.pressedAt = local(e);
      follow(e);
    });
    target.addEventListener('pointerup', (e) => {
      const [px, py] = local(e);
      const was = this.pressedAt;
      this.pressedAt = null;
      // A press that barely moved is a click: it marks an end of the interpolation.
      if (was !== null && Math.hypot(px - was[0], py - was[1]) < 8 && this.scatter.toLatent(px, py) !== null) this.addEnd();
    });
    target.addEventListener('pointercancel', () => (this.pressedAt = null));
  }

  private addEnd(): void {
    if (this.ends.length === 2) this.ends = [];
    this.ends.push(Float32Array.from(this.z));
    byId('strip-hint').textContent =
      this.ends.length === 1
        ? 'Now click a second point (B).'
        : `Ten decoded steps on the straight line from A to B. Click again to start a new pair.`;
    if (this.ends.length === 2) this.paintStrip();
    this.request();
  }

  private paintStrip(): void {
    const [a, b] = this.ends as [Float32Array, Float32Array];
    const z = new Float32Array(STRIP_STEPS * this.latent);
    for (let s = 0; s < STRIP_STEPS; s++) {
      const t = s / (STRIP_STEPS - 1);
      for (let j = 0; j < this.latent; j++) z[s * this.latent + j] = a[j]! + t * (b[j]! - a[j]!);
    }
    const images = decodeDisplayMean(this.model, new Tensor(z, [STRIP_STEPS, this.latent]), this.labels(STRIP_STEPS));
    const size = this.h * this.w;
    this.strip.forEach((canvas, s) => paintDigit(canvas, images.subarray(s * size, (s + 1) * size), this.w, this.h));
    byId('strip').classList.add('filled');
  }

  private request(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.frame();
    });
  }

  /** One animation frame: decode if the point moved, encode if the drawing changed, redraw the overlay. */
  private frame(): void {
    if (this.decodeDirty) {
      this.decodeDirty = false;
      this.decodeCurrent();
    }
    if (this.padDirty) {
      this.padDirty = false;
      this.encodeDrawing();
    }
    this.drawOverlay();
  }

  private decodeCurrent(): void {
    const t0 = performance.now();
    const pixels = decodePixels(this.model, new Tensor(this.z, [1, this.latent]), this.labels(1));
    const mean = pixels.mean;
    const t1 = performance.now();
    paintDigit(this.decoded, mean, this.w, this.h);
    this.decodeTimes.push(t1 - t0);
    if (this.decodeTimes.length > 30) this.decodeTimes.shift();
    // The median: a garbage collection or the first, unoptimized calls should not set the number.
    const ms = [...this.decodeTimes].sort((a, b) => a - b)[this.decodeTimes.length >> 1]!;
    byId('timing').textContent = `decoded in ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms per frame, in this page, on ${pageKernels} kernels`;
    byId('z-readout').textContent =
      `z = (${Array.from(this.z.slice(0, 4), (v) => formatTick(Number(v.toFixed(2)))).join(', ')}${this.latent > 4 ? ', \u2026' : ''})` +
      (this.y === undefined ? '' : `, y = ${this.y}`);

    // Variations: the same uniforms for every point (one seed), so the drawn digits change
    // smoothly as the point moves instead of flickering; "draw again" picks a new seed.
    paintDigit(this.variations[0]!, mean, this.w, this.h);
    const rng = new Random(this.variationSeed);
    for (let i = 1; i <= VARIATIONS; i++) paintDigit(this.variations[i]!, pixels.sample(rng), this.w, this.h);
  }

  private encodeDrawing(): void {
    const x = this.pad.pixels();
    if (x === null) {
      this.posterior = null;
      paintDigit(this.padInput, new Float32Array(this.h * this.w), this.w, this.h);
      paintDigit(this.reconstruction, new Float32Array(this.h * this.w), this.w, this.h);
      byId('posterior-readout').textContent = '';
      delete this.scatter.overlay.dataset.posterior;
      return;
    }
    const { mu, logvar } = noGrad(() => this.model.encode(new Tensor(x, [1, this.h * this.w]), this.labels(1)));
    const sigma = logvar.data.map((v) => Math.exp(v / 2));
    this.posterior = { mu: Float32Array.from(mu.data), sigma };
    paintDigit(this.padInput, x, this.w, this.h);
    paintDigit(this.reconstruction, decodeDisplayMean(this.model, mu, this.labels(1)), this.w, this.h);
    const [dx, dy] = this.dims;
    const fmt = (v: number): string => formatTick(Number(v.toFixed(2)));
    byId('posterior-readout').textContent =
      this.latent > 1
        ? `\u03bc = (${fmt(mu.data[dx]!)}, ${fmt(mu.data[dy]!)})\n\u03c3 = (${fmt(sigma[dx]!)}, ${fmt(sigma[dy]!)})`
        : `\u03bc = ${fmt(mu.data[0]!)}\n\u03c3 = ${fmt(sigma[0]!)}`;
  }

  private drawOverlay(): void {
    const ctx = this.scatter.overlayContext();
    const [dx, dy] = this.dims;
    const at = (v: Float32Array): [number, number] => this.scatter.toPixel(v[dx]!, this.latent > 1 ? v[dy]! : 0);

    if (this.ends.length > 0) {
      const pa = at(this.ends[0]!);
      if (this.ends.length === 2) {
        const pb = at(this.ends[1]!);
        ctx.strokeStyle = '#1d2433';
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(...pa);
        ctx.lineTo(...pb);
        ctx.stroke();
        ctx.setLineDash([]);
        for (let s = 1; s < STRIP_STEPS - 1; s++) {
          const t = s / (STRIP_STEPS - 1);
          ctx.fillStyle = '#1d2433';
          ctx.beginPath();
          ctx.arc(pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1]), 2.5, 0, 2 * Math.PI);
          ctx.fill();
        }
        endMarker(ctx, pb, 'B');
      }
      endMarker(ctx, pa, 'A');
    }

    if (this.posterior !== null) {
      const { mu, sigma } = this.posterior;
      const [px, py] = at(mu);
      const upp = this.scatter.unitsPerPixel;
      ctx.fillStyle = 'rgba(220, 38, 38, 0.14)';
      ctx.strokeStyle = '#dc2626';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.ellipse(px, py, Math.max(2, sigma[dx]! / upp), Math.max(2, (this.latent > 1 ? sigma[dy]! : sigma[dx]!) / upp), 0, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(px - 7, py - 7);
      ctx.lineTo(px + 7, py + 7);
      ctx.moveTo(px + 7, py - 7);
      ctx.lineTo(px - 7, py + 7);
      ctx.stroke();
      this.scatter.overlay.dataset.posterior = `${px.toFixed(1)},${py.toFixed(1)}`;
    }

    // The decoded point: a ring with a dot, visible on any color.
    const [cx, cy] = at(this.z);
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffffff';
    ctx.beginPath();
    ctx.arc(cx, cy, 7, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#1d2433';
    ctx.stroke();
    ctx.fillStyle = '#1d2433';
    ctx.beginPath();
    ctx.arc(cx, cy, 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function endMarker(ctx: CanvasRenderingContext2D, [x, y]: [number, number], label: string): void {
  ctx.fillStyle = '#1d2433';
  ctx.beginPath();
  ctx.arc(x, y, 9, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(label, x, y + 0.5);
}

forgetAddressToken();
main().catch((err: unknown) => {
  setStatus(`Something went wrong: ${(err as Error).message}`, 'error');
});
