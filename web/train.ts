/**
 * Training in the tab: the page gathers the data (MNIST from the server, or images dropped
 * here), starts the worker that trains, draws what it reports (the loss curve, the latent
 * plane, one row per epoch), stops it on request, and offers each finished epoch's
 * checkpoint as a file download.
 */
import { Random } from '../src/engine/random.js';
import { unpackImages } from '../src/data/packed-images.js';
import { byId, digitCanvas, digitLegend, el, formatDuration, paintDigit } from './dom.js';
import { drawLossChart, type LossSeries } from './line-chart.js';
import { Scatter } from './scatter.js';
import type { FromWorker, ImageBytes, StartMessage, TrainSettings } from './train-protocol.js';

/** Held out of dropped images for the test set, as `--data folder:DIR` does. */
const TEST_FRACTION = 0.1;
/** Decoded pictures larger than this are refused rather than filling the tab's memory. */
const MAX_MEGAPIXELS = 50;
const MAX_THUMBS = 24;

interface Dropped {
  side: number;
  images: Uint8Array[];
}

const form = byId<HTMLFormElement>('setup');
const query = new URLSearchParams(location.search);
const losses: LossSeries = { steps: [], train: [], test: [] };
const lossCanvas = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'loss curve' });
const scatter = new Scatter('z\u2081', 'z\u2082', 'latent space of the test images');
let dropped: Dropped = { side: 28, images: [] };
let worker: Worker | null = null;
let checkpointUrl: string | null = null;
let noun = 'digits';
let plannedEpochs = 0;
let lastEpoch = 0;
let redrawPending = false;
let planeShown = true;

function field(name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}

/** Form fields may be preset from the address: /train?latent=2&hidden=64&epochs=1&train=1000. */
function presetFromQuery(): void {
  for (const name of ['latent', 'hidden', 'epochs', 'batch', 'lr', 'seed', 'train', 'test', 'side']) {
    const value = query.get(name);
    if (value !== null) field(name).value = value;
  }
  const source = query.get('source');
  if (source === 'mnist' || source === 'images') setSource(source);
}

function source(): 'mnist' | 'images' {
  return (form.elements.namedItem('source') as RadioNodeList).value === 'images' ? 'images' : 'mnist';
}

function setSource(value: 'mnist' | 'images'): void {
  (form.elements.namedItem('source') as RadioNodeList).value = value;
  byId('drop').classList.toggle('active', value === 'images');
}

function layout(): void {
  const box = byId('loss-box');
  drawLossChart(lossCanvas, box.clientWidth, Math.min(300, Math.max(200, box.clientWidth * 0.55)), losses);
  scatter.resize(Math.min(byId('scatter-box').clientWidth, 440));
}

function redrawSoon(): void {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    const box = byId('loss-box');
    drawLossChart(lossCanvas, box.clientWidth, lossCanvas.clientHeight || 240, losses);
  });
}

// --- dropped images -------------------------------------------------------------------

/**
 * A picture as the model sees it: stretched to side x side, grey by luminance, transparent
 * pixels black (the background of MNIST-style data), rounded to 8 bits: the same treatment
 * as `--data folder:DIR`, with the browser's resampling.
 */
async function decodePicture(file: File, side: number): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file);
  try {
    if (bitmap.width * bitmap.height > MAX_MEGAPIXELS * 1e6) throw new Error(`larger than ${MAX_MEGAPIXELS} megapixels`);
    const canvas = new OffscreenCanvas(side, side);
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, side, side);
    const rgba = ctx.getImageData(0, 0, side, side).data;
    const grey = new Uint8Array(side * side);
    for (let i = 0; i < grey.length; i++) {
      const lum = 0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!;
      grey[i] = Math.round((lum * rgba[4 * i + 3]!) / 255);
    }
    return grey;
  } finally {
    bitmap.close();
  }
}

async function addPictures(files: Iterable<File>): Promise<void> {
  const side = Number(field('side').value);
  if (!Number.isInteger(side) || side < 4 || side > 64) return showSetupError('image side must be a whole number from 4 to 64');
  if (side !== dropped.side) dropped = { side, images: [] };
  const refused: string[] = [];
  for (const file of files) {
    if (!/^image\/(png|jpeg)$/.test(file.type)) {
      refused.push(`${file.name} (not PNG or JPEG)`);
      continue;
    }
    try {
      dropped.images.push(await decodePicture(file, side));
    } catch (err) {
      refused.push(`${file.name} (${(err as Error).message || 'cannot be decoded'})`);
    }
  }
  setSource('images');
  showDropped(refused);
}

function showDropped(refused: string[]): void {
  const n = dropped.images.length;
  const s = dropped.side;
  byId('drop-text').textContent = `${n.toLocaleString('en-US')} image${n === 1 ? '' : 's'}, ${s}\u00d7${s} grey. Drop more here`;
  byId('clear-images').hidden = n === 0;
  const thumbs: HTMLElement[] = dropped.images.slice(0, MAX_THUMBS).map((pixels) => {
    const c = digitCanvas(36);
    paintGrey(c, pixels, s);
    return c;
  });
  if (n > MAX_THUMBS) thumbs.push(el('span', { class: 'note' }, `and ${(n - MAX_THUMBS).toLocaleString('en-US')} more`));
  byId('thumbs').replaceChildren(...thumbs);
  showSetupError(refused.length === 0 ? '' : `skipped ${refused.join(', ')}`);
}

/** A grey picture as it looks (bright is bright), unlike digits, which are drawn as ink. */
function paintGrey(canvas: HTMLCanvasElement, pixels: Uint8Array, side: number): void {
  paintDigit(canvas, Array.from(pixels, (v) => 255 - v), side, side, 255);
}

function droppedSplits(): { train: ImageBytes; test: ImageBytes } {
  const n = dropped.images.length;
  const side = dropped.side;
  // A seeded shuffle, then the first tenth (at least one image) is the test set.
  const order = new Random(1).permutation(n);
  const testCount = Math.min(n - 1, Math.max(1, Math.round(n * TEST_FRACTION)));
  const pick = (idx: Uint32Array): ImageBytes => {
    const pixels = new Uint8Array(idx.length * side * side);
    idx.forEach((src, i) => pixels.set(dropped.images[src]!, i * side * side));
    return { count: idx.length, height: side, width: side, labels: new Uint8Array(idx.length), pixels };
  };
  return { test: pick(order.subarray(0, testCount)), train: pick(order.subarray(testCount)) };
}

// --- starting, following and stopping a run ------------------------------------------

function showSetupError(text: string): void {
  byId('setup-error').textContent = text;
}

function settingsFromForm(): TrainSettings | string {
  const int = (name: string, min: number, max: number): number | string => {
    const v = Number(field(name).value);
    return Number.isInteger(v) && v >= min && v <= max ? v : `${field(name).parentElement!.firstChild!.textContent!.trim()} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`;
  };
  const optional = (name: string): number | undefined | string => (field(name).value.trim() === '' ? undefined : int(name, 1, 1e9));
  const hidden = field('hidden').value.split(',').map((w) => Number(w.trim()));
  if (hidden.length === 0 || !hidden.every((w) => Number.isInteger(w) && w >= 1 && w <= 4096)) return 'hidden units must be whole numbers from 1 to 4096, separated by commas';
  const lr = Number(field('lr').value);
  if (!(lr > 0 && lr <= 1)) return 'learning rate must be above 0 and at most 1';
  const values = {
    latent: int('latent', 1, 64),
    epochs: int('epochs', 1, 1000),
    batchSize: int('batch', 1, 4096),
    seed: int('seed', 0, 0xffffffff),
    trainSize: optional('train'),
    testSize: optional('test'),
  };
  for (const v of Object.values(values)) if (typeof v === 'string') return v;
  const n = values as { latent: number; epochs: number; batchSize: number; seed: number; trainSize?: number; testSize?: number };
  return {
    hidden,
    latent: n.latent,
    epochs: n.epochs,
    batchSize: n.batchSize,
    lr,
    seed: n.seed,
    ...(n.trainSize === undefined ? {} : { trainSize: n.trainSize }),
    ...(n.testSize === undefined ? {} : { testSize: n.testSize }),
    plane: query.get('plane') !== '0',
  };
}

async function fetchSplit(split: 'train' | 'test'): Promise<ImageBytes> {
  const res = await fetch(`/data/mnist/${split}.bin`);
  if (!res.ok) throw new Error(`the server did not give MNIST's ${split} set (${res.status})`);
  const packed = unpackImages(new Uint8Array(await res.arrayBuffer()));
  return { count: packed.count, height: packed.height, width: packed.width, labels: packed.labels, pixels: packed.pixels };
}

async function start(): Promise<void> {
  const settings = settingsFromForm();
  if (typeof settings === 'string') return showSetupError(settings);
  const fromMnist = source() === 'mnist';
  if (!fromMnist && dropped.images.length < 2) return showSetupError('drop at least 2 images: one to train on, one to test');
  showSetupError('');
  byId<HTMLButtonElement>('start').disabled = true;
  resetRun();
  noun = fromMnist ? 'digits' : 'images';
  byId('progress-text').textContent = fromMnist ? 'Fetching MNIST from the server\u2026' : 'Preparing the images\u2026';
  let message: StartMessage;
  try {
    const splits = fromMnist ? { train: await fetchSplit('train'), test: await fetchSplit('test') } : droppedSplits();
    message = { type: 'start', settings, dataset: fromMnist ? 'mnist' : 'dropped images', digits: fromMnist, ...splits };
  } catch (err) {
    byId<HTMLButtonElement>('start').disabled = false;
    return showSetupError((err as Error).message);
  }
  plannedEpochs = settings.epochs;
  byId('legend').replaceChildren(...(fromMnist ? [digitLegend()] : []));
  byId('loss-unit').textContent = `negative ELBO, nats per ${fromMnist ? 'digit' : 'image'}`;
  planeShown = settings.plane;
  byId('plane-hint').textContent = settings.plane
    ? `Where the encoder puts the ${noun} (the means of q(z|x)), redrawn as training goes.`
    : 'Not drawn during this run (plane=0 in the address).';
  // The kernels are the worker's choice; `kernels` and `threads` in the address are handed on to it.
  const workerQuery = new URLSearchParams([...query].filter(([key]) => key === 'kernels' || key === 'threads'));
  worker = new Worker(`/assets/train-worker.js${workerQuery.size > 0 ? `?${workerQuery}` : ''}`, { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => onWorker(event.data);
  worker.onerror = (event) => onEnd({ type: 'end', status: 'failed', message: event.message || 'the worker could not start', epoch: lastEpoch });
  worker.postMessage(message, [message.train.pixels.buffer, message.test.pixels.buffer].filter((b, i, all) => all.indexOf(b) === i));
  byId<HTMLButtonElement>('stop').disabled = false;
  byId('stop').textContent = 'Stop training';
  document.body.dataset.running = 'true';
}

function resetRun(): void {
  losses.steps = [];
  losses.train = [];
  losses.test = [];
  lastEpoch = 0;
  byId('epochs').replaceChildren();
  byId('end').hidden = true;
  byId('download-box').hidden = true;
  if (checkpointUrl !== null) URL.revokeObjectURL(checkpointUrl);
  checkpointUrl = null;
  scatter.setPoints([], []);
  byId('scatter-step').textContent = '';
  for (const key of ['steps', 'epochs', 'ended', 'lastTest', 'kernels', 'isolated']) delete document.body.dataset[key];
  layout();
}

function onWorker(m: FromWorker): void {
  switch (m.type) {
    case 'started': {
      const facts = [m.model, `${m.trainCount.toLocaleString('en-US')} training and ${m.testCount.toLocaleString('en-US')} test ${noun}`, `${plannedEpochs} epoch${plannedEpochs === 1 ? '' : 's'}`, `${m.kernels} kernels`];
      byId('run-facts').textContent = facts.join(' \u00b7 ');
      byId('progress-text').textContent = 'Training\u2026';
      document.body.dataset.kernels = m.kernels;
      document.body.dataset.isolated = String(m.isolated);
      if (planeShown) {
        byId('plane-hint').textContent = `Where the encoder puts ${m.planePoints.toLocaleString('en-US')} ${m.planeSplit} ${noun} (the means of q(z|x)), redrawn as training goes.`;
      }
      return;
    }
    case 'step': {
      losses.steps.push(...m.losses);
      document.body.dataset.steps = String(m.step);
      const left = (plannedEpochs - m.epoch) * m.batchesPerEpoch + (m.batchesPerEpoch - m.batch);
      byId('progress-text').textContent =
        `Epoch ${m.epoch} of ${plannedEpochs} \u00b7 batch ${m.batch} of ${m.batchesPerEpoch} \u00b7 loss ${m.runningLoss.toFixed(1)} \u00b7 ${Math.round(m.samplesPerSec).toLocaleString('en-US')} ${noun}/s`;
      const secondsPerBatch = m.elapsed / m.batch;
      byId('eta').textContent = `step ${m.step.toLocaleString('en-US')} \u00b7 about ${formatDuration(left * secondsPerBatch)} left (evaluation not counted)`;
      byId('bar-epoch').style.width = `${(100 * m.batch) / m.batchesPerEpoch}%`;
      byId('bar-run').style.width = `${(100 * (m.epoch - 1 + m.batch / m.batchesPerEpoch)) / plannedEpochs}%`;
      if (lastEpoch === 0) byId('stop-hint').textContent = 'Stops after the current step. No epoch has finished yet, so stopping now keeps no model.';
      redrawSoon();
      return;
    }
    case 'plane':
      scatter.setPoints(m.xy, m.labels);
      byId('scatter-step').textContent = `at step ${m.step.toLocaleString('en-US')}`;
      document.body.dataset.planeStep = String(m.step);
      return;
    case 'epoch':
      onEpoch(m);
      return;
    case 'end':
      onEnd(m);
  }
}

function onEpoch(m: Extract<FromWorker, { type: 'epoch' }>): void {
  const e = m.metrics;
  lastEpoch = e.epoch;
  losses.train.push([e.step, e.train_nelbo]);
  losses.test.push([e.step, e.test_nelbo]);
  byId('epochs').append(
    el(
      'tr',
      {},
      el('td', {}, String(e.epoch)),
      el('td', {}, e.train_nelbo.toFixed(2)),
      el('td', {}, e.test_nelbo.toFixed(2)),
      el('td', {}, e.test_recon.toFixed(2)),
      el('td', {}, e.test_kl.toFixed(2)),
      el('td', {}, `${e.seconds.toFixed(1)} s`),
    ),
  );
  if (checkpointUrl !== null) URL.revokeObjectURL(checkpointUrl);
  checkpointUrl = URL.createObjectURL(new Blob([m.checkpoint as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const link = byId<HTMLAnchorElement>('download');
  link.href = checkpointUrl;
  link.textContent = `Download checkpoint.safetensors (epoch ${e.epoch}, ${(m.checkpoint.byteLength / 1e6).toFixed(1)} MB)`;
  const open = noun === 'digits' ? 'vae eval --checkpoint checkpoint.safetensors' : 'vae sample --checkpoint checkpoint.safetensors';
  byId('download-note').textContent = `Open it with: ${open}`;
  byId('download-box').hidden = false;
  byId('stop-hint').textContent = `Stops after the current step and keeps the model of epoch ${lastEpoch}.`;
  document.body.dataset.epochs = String(e.epoch);
  document.body.dataset.lastTest = String(e.test_nelbo);
  document.body.dataset.lastSeconds = String(e.seconds);
  layout();
}

function onEnd(m: Extract<FromWorker, { type: 'end' }>): void {
  worker?.terminate();
  worker = null;
  const end = byId('end');
  const verdict =
    m.status === 'done' ? `Training finished: ${m.message}.` : m.status === 'stopped' ? `Training ${m.message}.` : `Training failed: ${m.message}.`;
  end.textContent = verdict + (lastEpoch > 0 ? ` The model of epoch ${lastEpoch} is ready to download.` : ' No epoch was completed, so there is no model to keep.');
  end.className = `end ${m.status}`;
  end.hidden = false;
  byId<HTMLButtonElement>('stop').disabled = true;
  byId('stop').textContent = m.status === 'done' ? 'Finished' : 'Stopped';
  byId('eta').textContent = '';
  byId('stop-hint').textContent = '';
  byId<HTMLButtonElement>('start').disabled = false;
  byId('start').textContent = 'Train again';
  document.body.dataset.running = 'false';
  document.body.dataset.ended = m.status;
}

// --- wiring ---------------------------------------------------------------------------

byId('clear-images').addEventListener('click', () => {
  dropped = { side: dropped.side, images: [] };
  showDropped([]);
  byId('drop-text').textContent = 'Drop images here';
});
const drop = byId('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void addPictures(Array.from(e.dataTransfer?.files ?? []));
});
byId<HTMLInputElement>('files').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  void addPictures(Array.from(input.files ?? [])).then(() => {
    input.value = '';
  });
});
for (const radio of Array.from(form.querySelectorAll<HTMLInputElement>('input[name=source]'))) {
  radio.addEventListener('change', () => setSource(source()));
}
form.addEventListener('submit', (e) => {
  e.preventDefault();
  void start();
});
byId('stop').addEventListener('click', () => {
  if (worker === null) return;
  worker.postMessage({ type: 'stop' });
  byId<HTMLButtonElement>('stop').disabled = true;
  byId('stop').textContent = 'Stopping\u2026';
});
// The progress bars jump instead of gliding: their width transition in the shared style sheet
// is a style, layout and paint of the page in every frame it runs (about 50 a second during
// training), on the cores the training in this tab needs. Set here, since the page's policy
// refuses inline styles.
for (const id of ['bar-epoch', 'bar-run']) byId(id).style.transition = 'none';
byId('scatter-box').append(scatter.root);
byId('loss-box').append(lossCanvas);
window.addEventListener('resize', layout);
presetFromQuery();
layout();
document.body.dataset.ready = 'true';
if (query.get('autostart') === '1') void start();
