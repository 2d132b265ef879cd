/**
 * The latent space explorer. The model's weights are fetched once; from then on every image
 * on the page is computed here, by the toolkit's own engine on its wasm kernels (js when wasm does not load): the
 * decoder for the point under the pointer, the encoder for the digit on the pad or the
 * picture dropped on the page. A conditional model gets a class picker: the chosen class is
 * what the decoder draws and what the encoder is told the drawing is. Words, colours and
 * legends follow the run's data (grey or colour, class names, digits or images), and a
 * run's factors.json names the axes and gives sliders along its factors' directions. A small
 * collection (a class's few dozen words) is on the plane whole, each image as its picture;
 * new images are drawn from the prior on request.
 */
import { Tensor, noGrad, setKernels } from '../src/engine/tensor.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadBrowserWasmKernels } from '../src/kernels/wasm-browser.js';
import { Random } from '../src/engine/random.js';
import { decodeDisplayMean, decodePixels } from '../src/vae/decoded-pixels.js';
import { describeModel } from '../src/vae/describe.js';
import type { VAE } from '../src/vae/model.js';
import { decodeModelPayload } from '../src/server/model-payload.js';
import { principalDirections } from '../src/viz/latent-plane.js';
import { byId, className, classLegend, digitCanvas, el, forgetAddressToken, formatTick, paintImage, shapeCanvas, valueLegend } from './dom.js';
import { DrawingPad } from './drawing-pad.js';
import { WordPad } from './word-pad.js';
import { readPicture, resizeArea, toModelImage } from './image-input.js';
import { Scatter, valueRange } from './scatter.js';

/** The run's data as the server describes it (src/server/page-data.ts). */
interface PageData {
  channels: number;
  height: number;
  width: number;
  classNames: string[];
  noun: 'digit' | 'image';
}

interface Info {
  live: boolean;
  model: null | {
    version: string;
    epoch: number;
    epochs: number;
    /** Optimizer steps taken, for a run whose length was given in steps. */
    steps?: number;
    dataset: string;
    config: { inputDim: number; hidden: number[]; latent: number; imageHeight: number; imageWidth: number };
    data?: PageData;
  };
  files: string[];
}

/** factors.json of the run folder (written by `vae factors`). */
interface Factors {
  dimensions: Array<{
    dim: number;
    kl: number;
    active: boolean;
    factor?: string | null;
    /** Partial correlation with the factor, signed. */
    r?: number | null;
    slope?: number | null;
    slopeUnits?: string | null;
    monotonic?: boolean | null;
    /** The decoded traversal moves the factor monotonically, the way r says. */
    confirmed?: boolean | null;
  }>;
  measures: string[];
  directions: Record<string, { vector: number[]; r: number; units?: string }>;
  testImages?: number;
}

/** Per-image measures of the test images the plane shows (/api/measures), row-major [count, names]. */
interface Measures {
  names: string[];
  count: number;
  values: number[];
}

interface Encodings {
  version: string;
  count: number;
  latent: number;
  labels: number[];
  mu: number[];
  /** The first heldOut images are test images; the rest (a small collection shown whole) were trained on. */
  heldOut?: number;
}

const STRIP_STEPS = 10;
const VARIATIONS = 5;
const PRIOR_SAMPLES = 12;

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

/** "10 epochs", or "1,000 steps" for a run whose length was given in steps. */
function trainedFor(steps: number | undefined, epochs: number): string {
  if (steps !== undefined) return `${steps.toLocaleString('en')} step${steps === 1 ? '' : 's'}`;
  return `${epochs} epoch${epochs === 1 ? '' : 's'}`;
}

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
    `trained ${trainedFor(info.model.steps, modelInfo.epoch)} on ${info.model.dataset}`;
  setStatus('');
  byId('explorer').hidden = false;
  const data = info.model.data ?? { channels: 1, height: c.imageHeight, width: c.imageWidth, classNames: [], noun: 'image' };
  const explorer = new Explorer(model, data, info.files);
  // For scripting the page from the console (and its tests): the decoder's mean images of
  // latent codes, on the page's kernels, and what the page shows now.
  (window as unknown as { vaeExplorer: unknown }).vaeExplorer = {
    kernels: pageKernels,
    decode: (z: number[], y?: number): number[] => {
      const labels = (c.classes ?? 0) === 0 ? undefined : [y ?? 0];
      return Array.from(decodeDisplayMean(model, new Tensor(Float32Array.from(z), [1, c.latent]), labels));
    },
    current: () => explorer.current(),
    planePixel: (z: number[]): [number, number] => explorer.planePixel(z),
  };
  document.body.dataset.model = 'ready';
}

/** Words for a measure: its name as a person reads it, and which way its slider goes. */
const MEASURE_WORDS: Record<string, { name: string; less: string; more: string }> = {
  slant_deg: { name: 'slant', less: 'less slanted', more: 'more slanted' },
  thickness: { name: 'thickness', less: 'thinner', more: 'thicker' },
  area: { name: 'area', less: 'less ink', more: 'more ink' },
  length: { name: 'length', less: 'shorter strokes', more: 'longer strokes' },
  width: { name: 'width', less: 'narrower', more: 'wider' },
  height: { name: 'height', less: 'shorter', more: 'taller' },
  brightness: { name: 'brightness', less: 'darker', more: 'brighter' },
  hue_deg: { name: 'hue', less: 'hue down', more: 'hue up' },
  saturation: { name: 'saturation', less: 'greyer', more: 'more colourful' },
  object_size: { name: 'object size', less: 'smaller', more: 'bigger' },
  centroid_x: { name: 'centre x', less: 'further left', more: 'further right' },
  centroid_y: { name: 'centre y', less: 'higher up', more: 'lower down' },
  orientation_deg: { name: 'orientation', less: 'turned back', more: 'turned on' },
};

function measureWords(name: string): { name: string; less: string; more: string } {
  return MEASURE_WORDS[name] ?? { name: name.replace(/_deg$/, '').replace(/_/g, ' '), less: 'less', more: 'more' };
}

const SUBSCRIPTS = '\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089';
function zName(d: number): string {
  return `z${String(d + 1).replace(/\d/g, (c) => SUBSCRIPTS[Number(c)]!)}`;
}

/**
 * The plane the scatter shows: two orthonormal directions of latent space. Raw axes are two
 * unit vectors; the principal plane is the two leading principal directions of the test
 * codes (as the figures draw it, src/viz/latent-plane.ts), without centring, so the origin
 * and the prior's unit circle keep their meaning.
 */
interface Plane {
  kind: 'axes' | 'pca';
  d: [Float64Array, Float64Array];
  /** The two latent dimensions, for raw axes. */
  dims: [number, number];
  names: [string, string];
}

class Explorer {
  private readonly latent: number;
  private readonly h: number;
  private readonly w: number;
  private readonly channels: number;
  /** The point being decoded. */
  private readonly z: Float32Array;
  private plane: Plane;
  /** Whether the person chose the plane; if not, the principal plane replaces the first axes once the codes are in. */
  private planeChosen = false;
  private readonly scatter: Scatter;
  private encodings: Encodings | null = null;
  private measures: Measures | null = null;
  private factors: Factors | null = null;
  private ends: Float32Array[] = [];
  private posterior: { mu: Float32Array; sigma: Float32Array } | null = null;
  private readonly pad: DrawingPad | WordPad | null;
  /** The picture the encoder was given last (pad or dropped image), CHW. */
  private input: Float32Array | null = null;
  private readonly decoded: HTMLCanvasElement;
  private readonly floating = digitCanvas(112, 'digit big');
  private readonly variations: HTMLCanvasElement[] = [];
  private readonly strip: HTMLCanvasElement[] = [];
  private readonly padInput = digitCanvas(64);
  private readonly reconstruction = digitCanvas(64);
  private readonly sliders: HTMLInputElement[] = [];
  private readonly priorCanvases: HTMLCanvasElement[] = [];
  /** The prior draws shown, PRIOR_SAMPLES x latent; they are marked on the plane. */
  private priorZ: Float32Array | null = null;
  private priorSeed = 0;
  private readonly factorSliders: Array<{ input: HTMLInputElement; at: number }> = [];
  private lastMean: Float32Array = new Float32Array(0);
  private variationSeed = 1;
  private decodeTimes: number[] = [];
  private frameRequested = false;
  private decodeDirty = true;
  private padDirty = false;
  private pressedAt: [number, number] | null = null;
  /** Where the pointer is on the plane (CSS pixels), for enlarging the picture under it; null when off it. */
  private pointerAt: [number, number] | null = null;
  /** The class given to a conditional model's decoder and encoder; undefined for an ordinary model. */
  private y: number | undefined;

  constructor(
    private readonly model: VAE,
    private readonly data: PageData,
    files: string[],
  ) {
    const c = model.config;
    this.latent = c.latent;
    this.h = c.imageHeight;
    this.w = c.imageWidth;
    this.channels = data.channels;
    this.decoded = digitCanvas(140, 'digit big');
    // Words and other wide pictures get wide boxes: a 4:1 image in a 140-pixel square box would be 35 pixels tall.
    document.body.classList.toggle('wide-images', this.w >= 2 * this.h);
    this.z = new Float32Array(this.latent);
    this.plane = this.axesPlane(0, Math.min(1, this.latent - 1));
    this.speak();
    if (model.classes > 0) this.buildClassPicker(model.classes);

    this.scatter = new Scatter(this.plane.names[0], this.plane.names[1], 'latent plane: move to decode, click two points to interpolate');
    this.showClassLegend();
    byId('plane-box').append(this.scatter.root);
    this.listenOnPlane(this.scatter.overlay);

    byId('decoded-box').append(this.decoded);
    this.decoded.id = 'decoded';
    this.floating.id = 'floating-decoded';
    byId('float-preview').append(this.floating);
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

    for (let i = 0; i < PRIOR_SAMPLES; i++) {
      const canvas = digitCanvas(64);
      this.priorCanvases.push(canvas);
      const figure = el('figure', { tabindex: '0', role: 'button', 'aria-label': `decode sample ${i + 1}` }, canvas);
      const pick = (): void => this.decodePrior(i);
      figure.addEventListener('click', pick);
      figure.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          pick();
        }
      });
      byId('prior-samples').append(figure);
    }
    // Sample boxes of about one area whatever the pictures' shape, wide ones wider.
    byId('prior-samples').style.setProperty('--sample-width', `${Math.round(Math.min(200, 64 * Math.sqrt(this.w / this.h)))}px`);
    byId('draw-prior').addEventListener('click', () => this.drawPrior());

    for (let i = 0; i < STRIP_STEPS; i++) {
      const s = digitCanvas(56, 'digit step');
      this.strip.push(s);
      byId('strip').append(el('figure', {}, s, el('figcaption', {}, i === 0 ? 'A' : i === STRIP_STEPS - 1 ? 'B' : `${i}/${STRIP_STEPS - 1}`)));
    }

    this.padInput.id = 'pad-input';
    this.reconstruction.id = 'reconstruction';
    byId('pad-input-box').append(this.padInput);
    byId('reconstruction-box').append(this.reconstruction);
    // Hand-drawn data get the drawing pad; anything else (photos, emoji, colour) is dropped or picked as a file.
    if (data.noun === 'digit' && this.channels === 1) {
      this.pad = new DrawingPad(() => {
        this.padDirty = true;
        this.request();
      });
      this.pad.canvas.id = 'pad';
      byId('pad-box').append(this.pad.canvas);
      byId('clear').addEventListener('click', () => this.pad!.clear());
    } else if (this.isWordShaped()) {
      // Word-shaped grey pictures (a class's handwritten words): a wide pad to write on, and a picture may still be dropped.
      this.pad = new WordPad({ height: this.h, width: this.w }, () => {
        this.padDirty = true;
        this.request();
      });
      this.pad.canvas.id = 'pad';
      byId('pad-box').append(this.pad.canvas);
      byId('clear').addEventListener('click', () => this.pad!.clear());
      this.buildImageDrop();
      // Writing first; a picture file is the other way in.
      const drop = byId('image-drop');
      drop.parentElement!.append(drop);
    } else {
      this.pad = null;
      byId('pad-box').hidden = true;
      byId('clear').hidden = true;
      this.buildImageDrop();
    }

    // Images that are not square keep their proportions.
    for (const c of [this.decoded, this.floating, this.padInput, this.reconstruction, ...this.variations, ...this.strip, ...this.priorCanvases]) shapeCanvas(c, this.w, this.h);
    if (this.latent > 2) this.buildDimensionControls();
    // The first decodes run on code the engine has not optimized yet (and wasm's first tier):
    // a few untimed ones first, so the timing shown is the page's steady pace, not its start.
    for (let i = 0; i < 3; i++) decodePixels(this.model, new Tensor(this.z, [1, this.latent]), this.labels(1));
    this.layout();
    window.addEventListener('resize', () => this.layout());
    this.drawPrior();
    this.request();
    void this.loadEncodings();
    if (files.includes('factors.json')) void this.loadFactors(files.includes('latent_traversals.png'));
  }

  /** What the page shows now, for its tests and the console. */
  current(): { z: number[]; mean: number[]; plane: Plane['kind']; axes: [string, string]; input: number[] | null; posterior: number[] | null; colourBy: string } {
    return {
      z: Array.from(this.z),
      mean: Array.from(this.lastMean),
      plane: this.plane.kind,
      axes: [...this.plane.names],
      input: this.input === null ? null : Array.from(this.input),
      posterior: this.posterior === null ? null : Array.from(this.posterior.mu),
      colourBy: byId<HTMLSelectElement>('colour-by').value,
    };
  }

  /** Where a latent code is on the plane, in CSS pixels from the plane's top left corner. */
  planePixel(z: ArrayLike<number>): [number, number] {
    return this.scatter.toPixel(...this.onPlane(z));
  }

  /** Grey pictures much wider than tall, not digits: words, as `vae collect` gathers them. */
  private isWordShaped(): boolean {
    return this.channels === 1 && this.data.noun !== 'digit' && this.w >= 2 * this.h;
  }

  private get noun(): string {
    return this.data.noun;
  }

  /** The page's words for this run's data: "digit" only for digits, the image's size and colour. */
  private speak(): void {
    const noun = this.noun;
    // Height x width, as the command line says it.
    const size = `${this.h}\u00d7${this.w}`;
    byId('lede-item').textContent = `${size} ${this.channels === 3 ? 'colour ' : ''}${noun}`;
    for (const e of document.querySelectorAll('.noun')) e.textContent = noun;
    for (const e of document.querySelectorAll('.nouns')) e.textContent = `${noun}s`;
    for (const e of document.querySelectorAll('.a-noun')) e.textContent = noun === 'image' ? 'an image' : 'a digit';
    const likelihood = this.model.config.likelihood;
    const value = this.channels === 3 ? 'colour value' : 'pixel';
    const unit = this.channels === 3 ? 'value' : 'pixel';
    byId('decoder-hint').textContent =
      `The ${noun} at the point under your pointer: ` +
      (likelihood === 'bernoulli'
        ? this.channels === 3
          ? 'each colour value is its Bernoulli probability, shown as intensity.'
          : 'each pixel is its probability of ink.'
        : likelihood === 'logistic'
          ? `each ${value} is the mean of its discretized logistic.`
          : this.channels === 3
            ? 'each colour value is the mean of its Gaussian.'
            : 'each pixel is the mean grey level of its Gaussian.');
    byId('variations-hint').textContent =
      likelihood === 'bernoulli'
        ? `The mean image, then ${noun}s drawn ${unit} by ${unit} from those probabilities.`
        : likelihood === 'logistic'
          ? `The mean image, then ${noun}s drawn ${unit} by ${unit} from their logistics, clamped to [0, 1].`
          : `The mean image, then ${noun}s drawn ${unit} by ${unit}: mean + \u03c3\u00b7\u03b5, clamped to [0, 1].`;
    byId('encoder-hint').textContent =
      noun === 'digit' && this.channels === 1
        ? 'Draw a digit. The encoder places it on the plane (a red cross at its mean, an ellipse one \u03c3 wide) and the decoder redraws it.'
        : this.isWordShaped()
          ? 'Write a word on the pad (it is cut out and fitted as a collected sample is), or give an image. The encoder places it on the plane (a red cross at its mean, an ellipse one \u03c3 wide) and the decoder redraws it.'
          : `Give the encoder an image. It places it on the plane (a red cross at its mean, an ellipse one \u03c3 wide) and the decoder redraws it.`;
    document.title = `VAE latent space explorer \u00b7 ${noun}s`;
  }

  /** Classes the data have: named ones, or as many as the labels of the plane's images say. */
  private classCount(): number {
    const e = this.encodings;
    return Math.max(this.data.classNames.length, e === null ? 0 : e.labels.reduce((m, l) => Math.max(m, l + 1), 0));
  }

  private showClassLegend(): void {
    const classes = this.classCount();
    byId('legend').replaceChildren(classes > 1 ? classLegend(this.data.classNames, classes) : '');
  }

  private buildImageDrop(): void {
    const drop = byId('image-drop');
    drop.hidden = false;
    drop.classList.add('active');
    const take = (file: File | undefined): void => {
      if (file === undefined) return;
      void this.encodeFile(file);
    };
    byId<HTMLInputElement>('image-file').addEventListener('change', (e) => take((e.target as HTMLInputElement).files?.[0]));
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      take(e.dataTransfer?.files[0]);
    });
  }

  private async encodeFile(file: File): Promise<void> {
    const readout = byId('posterior-readout');
    try {
      const picture = await readPicture(file);
      const image = toModelImage(picture.rgba, picture.width, picture.height, this.channels, this.w, this.h);
      this.input = image.pixels;
      const { crop, source } = image;
      byId('image-drop').dataset.crop = `${crop.x0},${crop.y0},${crop.width},${crop.height}`;
      this.encodeInput();
      readout.textContent += `\n${source.width}\u00d7${source.height} picture, its centre ${Math.round(crop.width)}\u00d7${Math.round(crop.height)} used`;
      document.body.dataset.imageEncoded = String(Number(document.body.dataset.imageEncoded ?? 0) + 1);
    } catch (err) {
      readout.textContent = `That file could not be read as an image (${(err as Error).message}).`;
    }
    this.request();
  }

  private async loadEncodings(): Promise<void> {
    const note = byId('plane-note');
    note.textContent = `Placing the test ${this.noun}s\u2026`;
    try {
      this.encodings = await fetchJson<Encodings>('/api/encodings');
      this.describeShownImages(this.encodings);
      this.showClassLegend();
      if (this.latent > 2 && !this.planeChosen) this.usePlane(this.principalPlane());
      else this.plotEncodings();
      document.body.dataset.encodings = 'ready';
    } catch (err) {
      note.textContent = `The test ${this.noun}s could not be placed (${(err as Error).message}); the decoder still works.`;
      return;
    }
    // A small collection is shown whole (some of it trained on): the server has its pictures.
    if ((this.encodings.heldOut ?? this.encodings.count) < this.encodings.count) await this.loadThumbnails(this.encodings.count);
    void this.loadMeasures();
  }

  /** What the plane's points are: the test images, or a small collection whole (with how many were held out). */
  private describeShownImages(e: Encodings): void {
    const heldOut = e.heldOut ?? e.count;
    const n = e.count.toLocaleString('en-US');
    const nouns = `${this.noun}${e.count === 1 ? '' : 's'}`;
    if (heldOut < e.count) {
      byId('plane-note').textContent = `all ${n} ${nouns} of the collection: ${e.count - heldOut} trained on, ${heldOut} held out for testing`;
      byId('plane-hint').replaceChildren(
        `Each point is one of the collection's ${n} ${nouns}, placed at the mean of the encoder's q(`,
        el('var', {}, 'z'),
        '|',
        el('var', {}, 'x'),
        ').',
      );
    } else byId('plane-note').textContent = `${n} test ${nouns}`;
  }

  /**
   * The pictures of a small collection, to show each image at its code. They arrive as bytes
   * (CHW per picture, at most 128 pixels on the long side) and are painted the page's way.
   */
  private async loadThumbnails(count: number): Promise<void> {
    let canvases: HTMLCanvasElement[];
    let shape: [number, number];
    try {
      const res = await fetch('/api/thumbnails', { cache: 'no-store' });
      if (!res.ok) return;
      const header = (name: string): number => Number(res.headers.get(`x-thumbnail-${name}`));
      const [n, channels, height, width] = [header('count'), header('channels'), header('height'), header('width')];
      const bytes = new Uint8Array(await res.arrayBuffer());
      const size = channels * height * width;
      if (n !== count || !(size > 0) || bytes.length !== n * size) throw new Error(`${bytes.length} bytes for ${n} pictures of ${channels}x${height}x${width}`);
      canvases = Array.from({ length: n }, (_, i) => {
        const canvas = document.createElement('canvas');
        paintImage(canvas, Float32Array.from(bytes.subarray(i * size, (i + 1) * size), (b) => b / 255), channels, width, height);
        return canvas;
      });
      shape = [width, height];
    } catch (err) {
      console.warn(`the pictures of the ${this.noun}s did not load; the plane shows dots: ${(err as Error).message}`);
      return;
    }
    this.scatter.setPictures(canvases, ...shape);
    const box = byId('show-as');
    const show = (as: string): void => {
      for (const b of box.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.show === as));
      this.scatter.showPictures(as === 'pictures');
      byId('colour-by-label').textContent = as === 'pictures' ? 'Colour the frames by:' : 'Colour the dots by:';
      box.dataset.showing = as;
    };
    for (const b of box.querySelectorAll('button')) b.addEventListener('click', () => show(b.dataset.show!));
    box.hidden = false;
    show('pictures');
    document.body.dataset.thumbnails = String(canvases.length);
  }

  /** The measures of the test images, for colouring the dots; the server computes them once. */
  private async loadMeasures(): Promise<void> {
    try {
      const m = await fetchJson<Measures>('/api/measures');
      if (this.encodings === null || m.count !== this.encodings.count) return;
      this.measures = m;
    } catch {
      return; // No measures for this run: the dots keep their class colours.
    }
    const select = byId<HTMLSelectElement>('colour-by');
    // Without classes "class" would colour everything alike and name nothing.
    if (this.classCount() <= 1) select.options[0]!.textContent = 'nothing';
    for (const name of this.measures.names) select.append(el('option', { value: name }, measureWords(name).name));
    select.addEventListener('change', () => this.colourDots(select.value));
    byId('colour-by-box').hidden = false;
    document.body.dataset.measures = 'ready';
  }

  private colourDots(by: string): void {
    const m = this.measures;
    const k = m === null ? -1 : m.names.indexOf(by);
    if (m === null || k < 0) {
      this.scatter.colorByValues(null);
      this.showClassLegend();
    } else {
      const values = Float32Array.from({ length: m.count }, (_, i) => m.values[i * m.names.length + k]!);
      const range = valueRange(values);
      this.scatter.colorByValues(values, range);
      const units = this.factors?.directions[by]?.units;
      byId('legend').replaceChildren(valueLegend(`${measureWords(by).name}${units ? ` (${units})` : ''}`, range[0], range[1]));
    }
    this.scatter.overlay.dataset.colourBy = by;
  }

  private async loadFactors(traversals: boolean): Promise<void> {
    try {
      this.factors = await fetchJson<Factors>('/files/factors.json');
    } catch {
      return;
    }
    const f = this.factors;
    byId('factors-card').hidden = false;
    // The table: what each dimension tracks, active ones first by KL.
    const rows = [...f.dimensions].sort((a, b) => Number(b.active) - Number(a.active) || b.kl - a.kl);
    const body = byId('factors-table').querySelector('tbody')!;
    for (const d of rows) {
      const tracks = d.active ? (d.factor ? measureWords(d.factor).name : '\u2014') : 'inactive';
      const slope =
        d.active && typeof d.slope === 'number' && Number.isFinite(d.slope)
          ? `${d.slope > 0 ? '+' : '\u2212'}${Math.abs(d.slope).toFixed(2)} ${d.slopeUnits ?? ''}${d.confirmed === false ? ' (not monotonic)' : ''}`
          : '';
      body.append(el('tr', {}, el('td', {}, zName(d.dim)), el('td', {}, d.kl.toFixed(2)), el('td', {}, tracks), el('td', {}, d.active && typeof d.r === 'number' ? formatTick(Number(d.r.toFixed(2))) : ''), el('td', {}, slope)));
    }
    byId('factors-table').hidden = rows.length === 0;
    // Sliders along each measure's direction: the decoded image follows.
    const grid = byId('factor-sliders');
    // The measures the latent space predicts best first: their sliders do what they say most reliably.
    // A factors.json from too few test images has zero directions (r 0): sliders that move nothing are left out, and the hint says why.
    const needed = this.latent + 2;
    if (f.testImages !== undefined && f.testImages < needed) {
      byId('factors-hint').textContent =
        `Too few test images to name the factors: ${f.testImages}, and partial correlations over ${this.latent} latent dimensions need at least ${needed}. ` +
        'A larger test share (--test-fraction) or fewer latent dimensions (--latent) gives them.';
    }
    for (const [name, dir] of Object.entries(f.directions).sort((a, b) => b[1].r - a[1].r)) {
      if (dir.vector.length !== this.latent || dir.vector.every((v) => v === 0)) continue;
      const words = measureWords(name);
      const input = el('input', { type: 'range', min: '-3', max: '3', step: '0.05', value: '0', id: `factor-${name}`, 'aria-label': `move along ${words.name}` });
      const value = el('output', {}, '0.00');
      const entry = { input, at: 0 };
      input.addEventListener('input', () => {
        const t = Number(input.value);
        const step = t - entry.at;
        entry.at = t;
        for (let j = 0; j < this.latent; j++) this.z[j]! += step * dir.vector[j]!;
        value.textContent = t.toFixed(2);
        this.decodeDirty = true;
        if (this.sliders.length > 0) this.syncSliders();
        this.request();
      });
      // On a phone the decoder is screens away from these sliders: its image floats in view while one moves.
      input.addEventListener('pointerdown', (e) => {
        if (e.pointerType === 'touch' || window.innerWidth < 900) this.showFloating(true);
      });
      for (const type of ['pointerup', 'pointercancel', 'blur'] as const) input.addEventListener(type, () => this.showFloating(false));
      this.factorSliders.push(entry);
      grid.append(
        el(
          'label',
          { class: 'factor-slider' },
          el('span', { class: 'factor-name' }, `${words.name}`, el('span', { class: 'note' }, ` r = ${dir.r.toFixed(2)}`)),
          el('span', { class: 'factor-end less' }, words.less),
          input,
          el('span', { class: 'factor-end' }, words.more),
          value,
        ),
      );
    }
    if (traversals) {
      byId<HTMLImageElement>('traversals-img').src = '/files/latent_traversals.png';
      byId('traversals').hidden = false;
    }
    // Axes that track a factor say so.
    this.usePlane(this.plane.kind === 'axes' ? this.axesPlane(...this.plane.dims) : this.plane);
    document.body.dataset.factors = 'ready';
  }

  /**
   * A raw axis's name: z1, or with its factor and the way the factor grows along it, e.g.
   * "z1 · slant → (r 0.62)", "z2 · ← width (r −0.4)". The vertical axis's text is turned a
   * quarter, so its → points up, the way that axis grows.
   */
  private axisName(d: number): string {
    const found = this.factors?.dimensions.find((x) => x.dim === d);
    if (found === undefined || !found.active || !found.factor) return zName(d);
    const name = measureWords(found.factor).name;
    const r = typeof found.r === 'number' && Number.isFinite(found.r) ? found.r : null;
    const arrowed = r === null ? name : r < 0 ? `\u2190 ${name}` : `${name} \u2192`;
    return `${zName(d)} \u00b7 ${arrowed}${r === null ? '' : ` (r ${formatTick(Number(r.toFixed(2)))})`}`;
  }

  private axesPlane(a: number, b: number): Plane {
    const unit = (d: number): Float64Array => {
      const v = new Float64Array(this.latent);
      v[d] = 1;
      return v;
    };
    if (this.latent === 1) return { kind: 'axes', d: [unit(0), new Float64Array(1)], dims: [0, 0], names: [this.axisName(0), '(latent is 1-D)'] };
    return { kind: 'axes', d: [unit(a), unit(b)], dims: [a, b], names: [this.axisName(a), this.axisName(b)] };
  }

  private principalPlane(): Plane {
    const e = this.encodings!;
    const { directions, explained } = principalDirections(Float32Array.from(e.mu), e.count, e.latent);
    const pct = (f: number): string => `${(100 * f).toFixed(0)}% of variance`;
    return {
      kind: 'pca',
      d: [directions.slice(0, this.latent), directions.slice(this.latent)],
      dims: this.plane.dims,
      names: [`PC1 (${pct(explained[0])})`, `PC2 (${pct(explained[1])})`],
    };
  }

  private usePlane(plane: Plane): void {
    this.plane = plane;
    this.scatter.setAxisNames(...plane.names);
    const kind = document.getElementById('plane-kind') as HTMLSelectElement | null;
    if (kind !== null) kind.value = plane.kind;
    for (const s of document.querySelectorAll<HTMLSelectElement>('.axis-select')) s.disabled = plane.kind !== 'axes';
    this.scatter.overlay.dataset.plane = plane.kind;
    this.plotEncodings();
    this.syncSliders();
  }

  /** Plane coordinates of a latent code. */
  private onPlane(v: ArrayLike<number>): [number, number] {
    let a = 0;
    let b = 0;
    for (let j = 0; j < this.latent; j++) {
      a += this.plane.d[0][j]! * v[j]!;
      b += this.plane.d[1][j]! * v[j]!;
    }
    return [a, b];
  }

  /** Moves the point to plane coordinates (a, b), keeping its part off the plane. */
  private moveOnPlane(a: number, b: number): void {
    const [a0, b0] = this.onPlane(this.z);
    for (let j = 0; j < this.latent; j++) this.z[j]! += (a - a0) * this.plane.d[0][j]! + (b - b0) * this.plane.d[1][j]!;
  }

  private plotEncodings(): void {
    const e = this.encodings;
    if (e === null) {
      this.scatter.draw();
      return;
    }
    const xy = new Float32Array(e.count * 2);
    for (let i = 0; i < e.count; i++) {
      const [a, b] = this.onPlane(e.mu.slice(i * e.latent, (i + 1) * e.latent));
      xy[2 * i] = a;
      xy[2 * i + 1] = b;
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
    if (this.pad instanceof WordPad) this.pad.resize(Math.min(480, byId('pad-box').clientWidth || 320));
    else if (this.pad !== null) this.pad.resize(Math.min(196, Math.max(140, byId('pad-box').clientWidth || 196)));
    this.request();
  }

  /** Buttons for the classes of a conditional model (a list box when there are many), named by class. */
  private buildClassPicker(classes: number): void {
    this.y = 0;
    const picker = byId('class-picker');
    const names = this.data.classNames;
    const choose = (y: number): void => {
      this.y = y;
      picker.dataset.y = String(y);
      for (const b of picker.querySelectorAll('button')) b.setAttribute('aria-pressed', String(Number(b.dataset.y) === y));
      // Everything on the page that decodes or encodes depends on the class.
      this.decodeDirty = true;
      this.padDirty = this.input !== null;
      if (this.ends.length === 2) this.paintStrip();
      this.paintPrior();
      this.request();
    };
    const label = el('span', { class: 'class-label' }, 'Class ', el('var', {}, 'y'), ' given to the decoder and the encoder:');
    const short = names.length > 0 && names.every((n) => n.length <= 2);
    if (classes <= 20) {
      const buttons = Array.from({ length: classes }, (_, k) => {
        const b = el('button', { type: 'button', class: `class-button${short ? '' : ' named'}`, 'data-y': String(k), 'aria-pressed': String(k === 0) }, className(names, k));
        b.addEventListener('click', () => choose(k));
        return b;
      });
      picker.append(label, ...buttons);
    } else {
      const select = el('select', { 'aria-label': 'class' }, ...Array.from({ length: classes }, (_, k) => el('option', { value: String(k) }, className(names, k))));
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
      const select = el('select', { class: 'axis-select', 'aria-label': which === 0 ? 'horizontal axis' : 'vertical axis' }, ...names.map((n, i) => el('option', { value: String(i) }, n)));
      select.value = String(this.plane.dims[which]);
      select.addEventListener('change', () => {
        const d = Number(select.value);
        const dims: [number, number] = [...this.plane.dims];
        if (d === dims[1 - which]) {
          select.value = String(dims[which]);
          return;
        }
        dims[which] = d;
        this.planeChosen = true;
        this.usePlane(this.axesPlane(...dims));
      });
      return select;
    };
    const kind = el(
      'select',
      { id: 'plane-kind', 'aria-label': 'plane' },
      el('option', { value: 'pca' }, 'the principal plane of the test codes'),
      el('option', { value: 'axes' }, 'two latent dimensions'),
    );
    kind.value = this.plane.kind;
    kind.addEventListener('change', () => {
      this.planeChosen = true;
      if (kind.value === 'pca' && this.encodings !== null) this.usePlane(this.principalPlane());
      else this.usePlane(this.axesPlane(...this.plane.dims));
    });
    const picker = byId('axes-picker');
    picker.append('Plane: ', kind, el('br'), 'Dimensions: ', pick(0), ' across and ', pick(1), ' up.');
    picker.hidden = false;

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
      s.parentElement!.classList.toggle('on-plane', this.plane.kind === 'axes' && this.plane.dims.includes(i));
    });
  }

  /** The factor sliders start again from the point the plane put the decoder at. */
  private anchorFactorSliders(): void {
    for (const f of this.factorSliders) {
      f.at = 0;
      f.input.value = '0';
      (f.input.parentElement!.querySelector('output') as HTMLOutputElement).textContent = '0.00';
    }
  }

  private listenOnPlane(target: HTMLCanvasElement): void {
    const local = (e: PointerEvent): [number, number] => {
      const box = target.getBoundingClientRect();
      return [e.clientX - box.left, e.clientY - box.top];
    };
    const follow = (e: PointerEvent): void => {
      const [px, py] = local(e);
      this.pointerAt = [px, py];
      const p = this.scatter.toLatent(px, py);
      if (p === null) return;
      this.moveOnPlane(p[0], this.latent > 1 ? p[1] : 0);
      this.decodeDirty = true;
      this.anchorFactorSliders();
      if (this.sliders.length > 0) this.syncSliders();
      this.request();
    };
    // On a phone the decoded image would be off screen below the plane: while a finger is
    // down, a copy floats in view; and the finger moves the point, not the page.
    const showFloating = (on: boolean): void => this.showFloating(on);
    for (const type of ['touchstart', 'touchmove'] as const) target.addEventListener(type, (e) => e.preventDefault(), { passive: false });
    target.addEventListener('pointermove', follow);
    target.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      target.setPointerCapture(e.pointerId);
      this.pressedAt = local(e);
      if (e.pointerType === 'touch' || window.innerWidth < 900) showFloating(true);
      follow(e);
    });
    target.addEventListener('pointerup', (e) => {
      const [px, py] = local(e);
      const was = this.pressedAt;
      this.pressedAt = null;
      showFloating(false);
      // A press that barely moved is a click: it marks an end of the interpolation.
      if (was !== null && Math.hypot(px - was[0], py - was[1]) < 8 && this.scatter.toLatent(px, py) !== null) this.addEnd();
    });
    target.addEventListener('pointerleave', () => {
      this.pointerAt = null;
      this.request();
    });
    target.addEventListener('pointercancel', () => {
      this.pressedAt = null;
      showFloating(false);
    });
  }

  /** The floating copy of the decoded image, for while a finger is on a control far from the decoder. */
  private showFloating(on: boolean): void {
    byId('float-preview').hidden = !on;
    document.body.classList.toggle('touching-plane', on);
    if (on) {
      this.decodeDirty = true;
      this.request();
    }
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

  private paint(canvas: HTMLCanvasElement, pixels: Float32Array): void {
    paintImage(canvas, pixels, this.channels, this.w, this.h);
  }

  /** New images: PRIOR_SAMPLES points drawn from N(0, I) (seeded, a new seed per press), decoded to their mean images. */
  private drawPrior(): void {
    this.priorSeed++;
    this.priorZ = new Random(1000 + this.priorSeed).fillNormal(new Float32Array(PRIOR_SAMPLES * this.latent));
    this.paintPrior();
    byId('prior-samples').dataset.draws = String(this.priorSeed);
    this.request();
  }

  /** Decodes the prior draws shown (again when a conditional model's class changes). */
  private paintPrior(): void {
    if (this.priorZ === null) return;
    const images = decodeDisplayMean(this.model, new Tensor(this.priorZ, [PRIOR_SAMPLES, this.latent]), this.labels(PRIOR_SAMPLES));
    const size = this.channels * this.h * this.w;
    this.priorCanvases.forEach((canvas, i) => this.paint(canvas, images.subarray(i * size, (i + 1) * size)));
  }

  /** Puts the decoded point at prior sample i. */
  private decodePrior(i: number): void {
    if (this.priorZ === null) return;
    this.z.set(this.priorZ.subarray(i * this.latent, (i + 1) * this.latent));
    this.decodeDirty = true;
    this.anchorFactorSliders();
    if (this.sliders.length > 0) this.syncSliders();
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
    const size = this.channels * this.h * this.w;
    this.strip.forEach((canvas, s) => this.paint(canvas, images.subarray(s * size, (s + 1) * size)));
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
    this.lastMean = mean;
    this.paint(this.decoded, mean);
    if (!byId('float-preview').hidden) this.paint(this.floating, mean);
    this.decodeTimes.push(t1 - t0);
    if (this.decodeTimes.length > 30) this.decodeTimes.shift();
    // The median: a garbage collection or the first, unoptimized calls should not set the number.
    const ms = [...this.decodeTimes].sort((a, b) => a - b)[this.decodeTimes.length >> 1]!;
    byId('timing').textContent = `decoded in ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms per frame, in this page, on ${pageKernels} kernels`;
    byId('z-readout').textContent =
      `z = (${Array.from(this.z.slice(0, 4), (v) => formatTick(Number(v.toFixed(2)))).join(', ')}${this.latent > 4 ? ', \u2026' : ''})` +
      (this.y === undefined ? '' : `, y = ${className(this.data.classNames, this.y)}`);

    // Variations: the same uniforms for every point (one seed), so the drawn images change
    // smoothly as the point moves instead of flickering; "draw again" picks a new seed.
    this.paint(this.variations[0]!, mean);
    const rng = new Random(this.variationSeed);
    for (let i = 1; i <= VARIATIONS; i++) this.paint(this.variations[i]!, pixels.sample(rng));
    document.body.dataset.decodes = String(Number(document.body.dataset.decodes ?? 0) + 1);
  }

  /** The pad's drawing (28 x 28, MNIST's form; a word pad's already in the model's frame) at the model's size. */
  private padPixels(): Float32Array | null {
    const x = this.pad?.pixels() ?? null;
    if (x === null || this.pad instanceof WordPad || (this.w === 28 && this.h === 28)) return x;
    return resizeArea(x, 28, 28, this.w, this.h);
  }

  private encodeDrawing(): void {
    if (this.pad !== null) this.input = this.padPixels();
    this.encodeInput();
  }

  /** Encodes the current input (the pad's drawing or the dropped picture), places it on the plane and reconstructs it. */
  private encodeInput(): void {
    const x = this.input;
    const size = this.channels * this.h * this.w;
    if (x === null) {
      this.posterior = null;
      this.paint(this.padInput, new Float32Array(size));
      this.paint(this.reconstruction, new Float32Array(size));
      byId('posterior-readout').textContent = '';
      delete this.scatter.overlay.dataset.posterior;
      return;
    }
    const { mu, logvar } = noGrad(() => this.model.encode(new Tensor(x, [1, size]), this.labels(1)));
    const sigma = logvar.data.map((v) => Math.exp(v / 2));
    this.posterior = { mu: Float32Array.from(mu.data), sigma };
    this.paint(this.padInput, x);
    this.paint(this.reconstruction, decodeDisplayMean(this.model, mu, this.labels(1)));
    const fmt = (v: number): string => formatTick(Number(v.toFixed(2)));
    const [a, b] = this.onPlane(mu.data);
    const [sa, sb] = this.sigmaOnPlane(sigma);
    byId('posterior-readout').textContent =
      this.latent > 1 ? `\u03bc = (${fmt(a)}, ${fmt(b)})\n\u03c3 = (${fmt(sa)}, ${fmt(sb)})` : `\u03bc = ${fmt(a)}\n\u03c3 = ${fmt(sa)}`;
  }

  /** The posterior's standard deviation along the plane's two directions (q is diagonal). */
  private sigmaOnPlane(sigma: ArrayLike<number>): [number, number] {
    let a = 0;
    let b = 0;
    for (let j = 0; j < this.latent; j++) {
      a += (this.plane.d[0][j]! * sigma[j]!) ** 2;
      b += (this.plane.d[1][j]! * sigma[j]!) ** 2;
    }
    return [Math.sqrt(a), Math.sqrt(b)];
  }

  private drawOverlay(): void {
    const ctx = this.scatter.overlayContext();
    const at = (v: ArrayLike<number>): [number, number] => this.scatter.toPixel(...this.onPlane(v));

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

    if (this.priorZ !== null) {
      // The prior's draws, small crosses: where the new samples came from.
      ctx.strokeStyle = '#7b5ea7';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let i = 0; i < PRIOR_SAMPLES; i++) {
        const [x, y] = at(this.priorZ.subarray(i * this.latent, (i + 1) * this.latent));
        ctx.moveTo(x - 4, y);
        ctx.lineTo(x + 4, y);
        ctx.moveTo(x, y - 4);
        ctx.lineTo(x, y + 4);
      }
      ctx.stroke();
    }

    if (this.posterior !== null) {
      const { mu, sigma } = this.posterior;
      const [px, py] = at(mu);
      const [sa, sb] = this.sigmaOnPlane(sigma);
      const upp = this.scatter.unitsPerPixel;
      ctx.fillStyle = 'rgba(220, 38, 38, 0.14)';
      ctx.strokeStyle = '#dc2626';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.ellipse(px, py, Math.max(2, sa / upp), Math.max(2, (this.latent > 1 ? sb : sa) / upp), 0, 0, 2 * Math.PI);
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

    // The collection's picture under the pointer, enlarged: the image itself beside what the decoder makes of its place.
    const under = this.pointerAt === null ? -1 : this.scatter.pictureAt(...this.pointerAt);
    if (under >= 0) this.scatter.drawPictureLarge(ctx, under);
    this.scatter.overlay.dataset.pictureUnder = String(under);

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
