/**
 * One kernel path on the reference run: the classic MLP VAE (784-400-20, batch 128, Adam
 * 1e-3) on MNIST with the default settings of `vae train`, timed epoch by epoch, in a
 * process of its own so that its peak memory is its own. Prints one line per epoch and a
 * JSON summary at the end. bench/train-mnist.ts runs it once per path.
 *
 *   node dist/bench/train-run.js [--epochs N] [--kernels native|js] [--gemm default|openblas|builtin]
 */
import { cpus } from 'node:os';
import { createTrainingState, defaultRunConfig, loadMnist, train, useKernels } from '../src/index.js';
import { loadNativeKernels } from '../src/kernels/native.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? '') : fallback;
}
const epochs = Number(option('--epochs', '10'));
const kernelChoice = option('--kernels', 'native');
const gemm = option('--gemm', 'default');
if (!Number.isInteger(epochs) || epochs < 1 || !['native', 'js'].includes(kernelChoice) || !['default', 'openblas', 'builtin'].includes(gemm)) {
  process.stderr.write('usage: node dist/bench/train-run.js [--epochs N] [--kernels native|js] [--gemm default|openblas|builtin]\n');
  process.exit(2);
}
const selection = useKernels(kernelChoice as 'native' | 'js');
const native = loadNativeKernels();
if (kernelChoice === 'native' && native.ok && gemm !== 'default' && !native.setGemm(gemm as 'openblas' | 'builtin')) {
  process.stderr.write(`this build has no ${gemm} matrix product\n`);
  process.exit(2);
}
const path = selection.native === null ? 'js' : gemm === 'default' ? 'native' : `native-${gemm}`;

// One epoch of matrix products: per example, forward 2 * (784*400 + 2*400*20 + 20*400 + 400*784)
// multiply-adds, and backward twice that (input and weight gradients; the first layer's input
// gradient is skipped by the engine since the data needs none).
const macsPerExample = 784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784;
const flopsPerExample = 2 * macsPerExample * 3 - 2 * 784 * 400;

const data = loadMnist();
const config = defaultRunConfig();
config.training.epochs = epochs;
const state = createTrainingState(config);
const started = performance.now();
const history = await train(state, data, {
  onEpoch: (m) => {
    process.stdout.write(
      `${path} epoch ${m.epoch}: ${m.seconds.toFixed(2)} s, ${Math.round(m.samples_per_sec)} samples/s, ` +
        `${((flopsPerExample * data.train.count) / m.seconds / 1e9).toFixed(2)} GFLOP/s, test NELBO ${m.test_nelbo.toFixed(2)}\n`,
    );
  },
});
const train_seconds = history.reduce((s, m) => s + m.seconds, 0);
const last = history[history.length - 1]!;
process.stdout.write(
  JSON.stringify({
    kernels: path,
    gemm: native.ok && selection.native !== null ? native.info.gemm : null,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    epochs,
    seconds_per_epoch: train_seconds / epochs,
    samples_per_sec: (data.train.count * epochs) / train_seconds,
    gflops: (flopsPerExample * data.train.count * epochs) / train_seconds / 1e9,
    epoch1_test_nelbo: history[0]!.test_nelbo,
    final_test_nelbo: last.test_nelbo,
    wall_seconds: (performance.now() - started) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
