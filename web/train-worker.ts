/**
 * Training in a Web Worker, so the page stays responsive: the toolkit's own trainer, engine
 * and VAE, on kernels picked in one place. After each epoch it sends the metrics and the
 * checkpoint's bytes (the same file `vae train` writes), so a stop keeps the last whole epoch.
 */
import { noGrad, setKernels, Tensor } from '../src/engine/tensor.js';
import { jsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { browserThreadsPossible, loadBrowserWasmKernels } from '../src/kernels/wasm-browser.js';
import { defaultRunConfig, validateTrainingConfig } from '../src/train/config.js';
import { createTrainingState, encodeCheckpoint, type TrainingState } from '../src/train/checkpoint-bytes.js';
import { train, TrainingInterrupted } from '../src/train/trainer.js';
import { describeModel } from '../src/vae/describe.js';
import { parameterCount } from '../src/vae/config.js';
import { packedToDataset } from '../src/data/packed-images.js';
import { datasetFloats, valuesPerImage, type ImageDataset } from '../src/data/dataset.js';
import type { FromWorker, ImageBytes, StartMessage, ToWorker } from './train-protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

interface PickedKernels {
  kernels: Kernels;
  /** What the page shows: `wasm (2 threads)`, `wasm (1 thread)` or `js`. */
  label: string;
}

/**
 * The kernel provider of training in the page, chosen here and nowhere else: the WebAssembly
 * SIMD kernels, threaded over helper workers in this worker of a cross-origin isolated page
 * (one thread per core), on this thread alone otherwise, and the portable js kernels when
 * wasm does not load. `kernels=js` in the page's address (passed on to this worker's) picks
 * js, and `threads=N` caps the threads, so the choices can be compared on one machine.
 */
async function pickPageKernels(): Promise<PickedKernels> {
  const address = new URLSearchParams(location.search);
  const cap = Number(address.get('threads'));
  const threads = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, Number.isInteger(cap) && cap >= 1 ? cap : Infinity));
  if (address.get('kernels') !== 'js') {
    // Helpers that fail to start leave one thread of wasm, still well ahead of js.
    const attempts = browserThreadsPossible() && threads > 1 ? [threads, 1] : [1];
    for (const want of attempts) {
      try {
        const made = await loadBrowserWasmKernels(new URL('/wasm/', location.href), {
          threads: want,
          helperUrl: new URL('/assets/wasm-browser-helper.js', location.href),
        });
        return { kernels: made.kernels, label: `wasm (${made.threads} thread${made.threads === 1 ? '' : 's'})` };
      } catch (err) {
        console.warn(`the wasm kernels on ${want} thread${want === 1 ? '' : 's'} did not load: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return { kernels: jsKernels, label: 'js' };
}

/**
 * Step reports are gathered and sent at most this often (and at each epoch's end): every
 * message costs the page a redraw, and the page's main thread, its compositor and the
 * browser share the cores with this worker and its helpers. A message per step (30 to 50 a
 * second) took as much CPU as a third of the training did.
 */
const STEP_REPORT_SECONDS = 0.25;

/** Points of the latent plane: at most this many test images. */
const PLANE_POINTS = 1000;
const PLANE_MIN_TEST = 100;
/** The plane may take this fraction of the training time, and is redrawn at most this often. */
const PLANE_BUDGET = 0.05;
const PLANE_MIN_SECONDS = 1;

const controller = new AbortController();
let running = false;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') controller.abort();
  else if (message.type === 'start' && !running) {
    running = true;
    run(message).catch((err: unknown) => {
      scope.postMessage({ type: 'end', status: 'failed', message: err instanceof Error ? err.message : String(err), epoch: 0 });
    });
  }
};

function dataset(name: string, bytes: ImageBytes, limit: number | undefined): ImageDataset {
  return packedToDataset(name, { ...bytes, channels: 1 }, limit);
}

async function run(start: StartMessage): Promise<void> {
  const { kernels, label } = await pickPageKernels();
  setKernels(kernels);
  const s = start.settings;
  const trainSet = dataset(start.dataset, start.train, s.trainSize);
  const testSet = dataset(start.dataset, start.test, s.testSize);
  const config = defaultRunConfig();
  config.kernels = kernels.name;
  config.model = {
    ...config.model,
    inputDim: trainSet.height * trainSet.width,
    imageHeight: trainSet.height,
    imageWidth: trainSet.width,
    hidden: [...s.hidden],
    latent: s.latent,
  };
  config.training = {
    ...config.training,
    dataset: start.dataset,
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    seed: s.seed,
    // Recorded only when they cut the data, so `vae eval` takes the same images the page did.
    ...(s.trainSize !== undefined && s.trainSize < start.train.count ? { trainSize: s.trainSize } : {}),
    ...(s.testSize !== undefined && s.testSize < start.test.count ? { testSize: s.testSize } : {}),
  };
  validateTrainingConfig(config.training);
  const state = createTrainingState(config);
  const batchesPerEpoch = Math.ceil(trainSet.count / s.batchSize);
  // A handful of dropped images leaves a test set too small to show anything: then the
  // plane shows the training images.
  const planeSet = testSet.count >= PLANE_MIN_TEST ? testSet : trainSet;
  scope.postMessage({
    type: 'started',
    kernels: label,
    model: describeModel(config.model),
    trainCount: trainSet.count,
    testCount: testSet.count,
    batchesPerEpoch,
    parameters: parameterCount(config.model),
    planeSplit: planeSet === testSet ? 'test' : 'training',
    planePoints: Math.min(PLANE_POINTS, planeSet.count),
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  });

  const plane = planeOf(state, planeSet);
  let planeCost = 0;
  let lastPlane = -Infinity;
  const sendPlane = (step: number): void => {
    const t0 = performance.now();
    const { xy, labels } = plane();
    planeCost = (performance.now() - t0) / 1000;
    lastPlane = performance.now() / 1000;
    scope.postMessage({ type: 'plane', step, xy, labels }, [xy.buffer]);
  };
  if (s.plane) sendPlane(0);
  let report: Extract<FromWorker, { type: 'step' }> | null = null;
  let lastReport = -Infinity;
  const sendReport = (): void => {
    if (report === null) return;
    scope.postMessage(report);
    report = null;
    lastReport = performance.now() / 1000;
  };
  try {
    await train(state, { name: start.dataset, train: trainSet, test: testSet }, {
      signal: controller.signal,
      onStep: (info) => {
        const losses = report?.losses ?? [];
        losses.push([info.step, info.loss]);
        report = {
          type: 'step',
          epoch: info.epoch,
          batch: info.batch + 1,
          batchesPerEpoch: info.batchesPerEpoch,
          step: info.step,
          runningLoss: info.runningLoss,
          samplesPerSec: info.samplesDone / Math.max(info.elapsed, 1e-9),
          elapsed: info.elapsed,
          losses,
        };
        const now = performance.now() / 1000;
        if (now - lastReport >= STEP_REPORT_SECONDS) sendReport();
        if (s.plane && now - lastPlane > Math.max(PLANE_MIN_SECONDS, planeCost / PLANE_BUDGET)) sendPlane(info.step);
      },
      onEpoch: (metrics) => {
        sendReport();
        if (s.plane) sendPlane(metrics.step);
        const checkpoint = encodeCheckpoint(state);
        scope.postMessage({ type: 'epoch', metrics, checkpoint }, [checkpoint.buffer as ArrayBuffer]);
      },
    });
    scope.postMessage({ type: 'end', status: 'done', message: `${state.epoch} epoch${state.epoch === 1 ? '' : 's'}`, epoch: state.epoch });
  } catch (err) {
    if (!(err instanceof TrainingInterrupted)) throw err;
    sendReport();
    scope.postMessage({ type: 'end', status: 'stopped', message: `stopped during epoch ${state.epoch + 1}`, epoch: state.epoch });
  }
}

/** Posterior means of the first images of a split, their first two dimensions, for the plane. */
function planeOf(state: TrainingState, test: ImageDataset): () => { xy: Float32Array; labels: Uint8Array } {
  const n = Math.min(PLANE_POINTS, test.count);
  const dim = valuesPerImage(test);
  const x = new Tensor(datasetFloats(test, n), [n, dim]);
  const latent = state.model.config.latent;
  return () => {
    const mu = noGrad(() => state.model.encode(x).mu.data);
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      xy[2 * i] = mu[i * latent]!;
      xy[2 * i + 1] = latent > 1 ? mu[i * latent + 1]! : 0;
    }
    return { xy, labels: test.labels.slice(0, n) };
  };
}
