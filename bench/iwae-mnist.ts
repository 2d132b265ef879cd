/**
 * The log-likelihood benchmark of the VAE literature: dynamically binarized MNIST, Adam,
 * then the test negative log-likelihood estimated with K = 5000 importance samples
 * (Burda et al. 2015 report 86.76 nats for a one-layer VAE trained far longer).
 * Prints one line per epoch and a JSON summary; not a test, it takes hours on js kernels.
 *
 *   npm run build && node dist/bench/iwae-mnist.js [--arch mlp|conv] [--epochs 100] [--k 5000]
 *       [--objective elbo|iwae] [--train-k 5] [--train-size N] [--test-size N] [--out DIR]
 *       [--kernels auto|native|wasm|js] [--lr-schedule constant|cosine]
 *       [--batch-size 128]
 *
 * With --out the trained checkpoint is saved there, so `vae eval --checkpoint DIR --iw 5000`
 * can repeat the estimate.
 */
import { cpus } from 'node:os';
import { mkdirSync } from 'node:fs';
import {
  createTrainingState,
  defaultRunConfig,
  importanceWeightedNll,
  kernels,
  KERNEL_CHOICES,
  latentStatistics,
  useKernels,
  type KernelChoice,
  loadMnist,
  runData,
  saveCheckpoint,
  train,
} from '../src/index.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

function intOption(name: string, fallback: number): number {
  const v = Number(option(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
  return v;
}

const arch = option('arch', 'mlp');
const objective = option('objective', 'elbo');
if ((arch !== 'mlp' && arch !== 'conv') || (objective !== 'elbo' && objective !== 'iwae')) {
  process.stderr.write('usage: node dist/bench/iwae-mnist.js [--arch mlp|conv] [--objective elbo|iwae] [--epochs N] [--k K] ...\n');
  process.exit(2);
}
const kernelChoice = option('kernels', 'auto');
if (!(KERNEL_CHOICES as readonly string[]).includes(kernelChoice)) {
  process.stderr.write(`--kernels must be one of ${KERNEL_CHOICES.join(', ')}\n`);
  process.exit(2);
}
useKernels(kernelChoice as KernelChoice);
const epochs = intOption('epochs', 100);
const k = intOption('k', 5000);
const trainK = intOption('train-k', 5);
const config = defaultRunConfig();
config.model.arch = arch;
config.training.epochs = epochs;
config.training.binarize = 'dynamic';
if (objective === 'iwae') {
  config.training.objective = 'iwae';
  config.training.k = trainK;
}
const lrSchedule = option('lr-schedule', 'constant');
if (lrSchedule !== 'constant' && lrSchedule !== 'cosine') {
  process.stderr.write('--lr-schedule must be constant or cosine\n');
  process.exit(2);
}
if (lrSchedule === 'cosine') config.training.lrSchedule = 'cosine';
config.training.batchSize = intOption('batch-size', config.training.batchSize);
if (process.argv.includes('--train-size')) config.training.trainSize = intOption('train-size', 60000);
if (process.argv.includes('--test-size')) config.training.testSize = intOption('test-size', 10000);
const out = option('out', '');

const data = runData(loadMnist(), config.training);
const state = createTrainingState(config);
const started = performance.now();
const history = await train(state, data, {
  onEpoch: (m) => {
    process.stdout.write(`epoch ${m.epoch}: ${m.seconds.toFixed(1)} s, test NELBO ${m.test_nelbo.toFixed(2)}\n`);
  },
});
if (out !== '') {
  mkdirSync(out, { recursive: true });
  saveCheckpoint(out, state);
}
const evalStart = performance.now();
const iw = importanceWeightedNll(state.model, data.test, k, { binarize: 'dynamic' });
const evalSeconds = (performance.now() - evalStart) / 1000;
const latents = latentStatistics(state.model, data.test, { binarize: 'dynamic' });
const last = history[history.length - 1]!;
process.stdout.write(
  JSON.stringify({
    arch,
    objective,
    lr_schedule: lrSchedule,
    batch_size: config.training.batchSize,
    ...(objective === 'iwae' ? { train_k: trainK } : {}),
    kernels: kernels().name,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    epochs,
    train_examples: data.train.count,
    test_examples: data.test.count,
    train_seconds: history.reduce((s, m) => s + m.seconds, 0),
    test_nelbo: last.test_nelbo,
    iw_k: k,
    iw_nll: iw.nll,
    iw_seconds: evalSeconds,
    active_units: latents.activeUnits,
    wall_seconds: (performance.now() - started) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
