/**
 * One kernel path on the reference run: the classic MLP VAE (784-400-20, batch 128, Adam
 * 1e-3) on MNIST with the default settings of `vae train`, timed epoch by epoch, in a
 * process of its own so that its peak memory is its own; or, with --arch conv, the conv VAE
 * (two stride-2 3x3 convolutions, 32 and 64 channels, then 400 and 20, mirrored). Prints one
 * line per epoch and a JSON summary at the end. bench/train-mnist.ts runs it once per path.
 *
 *   node dist/bench/train-run.js [--epochs N] [--kernels native|wasm|js] [--gemm default|openblas|builtin]
 *                                [--threads N (wasm)] [--arch mlp|conv] [--train-size N]
 */
import { cpus } from 'node:os';
import { createTrainingState, defaultRunConfig, loadMnist, subset, train, useKernels } from '../src/index.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { setKernels } from '../src/engine/tensor.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? '') : fallback;
}
const epochs = Number(option('--epochs', '10'));
const kernelChoice = option('--kernels', 'native');
const gemm = option('--gemm', 'default');
const arch = option('--arch', 'mlp');
const trainSize = Number(option('--train-size', '60000'));
const threads = Number(option('--threads', String(cpus().length)));
if (
  !Number.isInteger(threads) || threads < 1 ||
  !Number.isInteger(epochs) || epochs < 1 || !['native', 'wasm', 'js'].includes(kernelChoice) || !['default', 'openblas', 'builtin'].includes(gemm) ||
  !['mlp', 'conv'].includes(arch) || !Number.isInteger(trainSize) || trainSize < 1
) {
  process.stderr.write(
    'usage: node dist/bench/train-run.js [--epochs N] [--kernels native|wasm|js] [--gemm default|openblas|builtin] [--threads N] [--arch mlp|conv] [--train-size N]\n',
  );
  process.exit(2);
}
const selection = useKernels(kernelChoice === 'wasm' ? 'js' : (kernelChoice as 'native' | 'js'));
if (kernelChoice === 'wasm') {
  const wasm = loadWasmKernels(threads);
  if (!wasm.ok) {
    process.stderr.write(`${wasm.reason}\n`);
    process.exit(2);
  }
  setKernels(wasm.kernels);
}
const native = loadNativeKernels();
if (kernelChoice === 'native' && native.ok && gemm !== 'default' && !native.setGemm(gemm as 'openblas' | 'builtin')) {
  process.stderr.write(`this build has no ${gemm} matrix product\n`);
  process.exit(2);
}
const path =
  kernelChoice === 'wasm' ? `wasm-${threads}t` : selection.native === null ? 'js' : gemm === 'default' ? 'native' : `native-${gemm}`;

// Multiply-adds of the matrix products per example, forward. The backward pass costs twice
// that (input and weight gradients), less the first layer's input gradient, which the
// engine skips since the data needs none.
//   mlp:  784*400 + 2*400*20 (mu, logvar) + 20*400 + 400*784
//   conv: each convolution is O x (C kh kw) x (Ho Wo) per image: 32x9x196 and 64x288x49,
//         mirrored by the transposed ones; dense 3136*400, the heads, 20*400, 400*3136.
const MACS = {
  mlp: { forward: 784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784, firstInput: 784 * 400 },
  conv: { forward: 2 * (32 * 9 * 196 + 64 * 288 * 49 + 3136 * 400) + 2 * 400 * 20 + 20 * 400, firstInput: 32 * 9 * 196 },
}[arch as 'mlp' | 'conv'];
const flopsPerExample = 2 * (3 * MACS.forward - MACS.firstInput);

const mnist = loadMnist();
const data = trainSize < mnist.train.count ? { ...mnist, train: subset(mnist.train, trainSize) } : mnist;
const config = defaultRunConfig();
config.training.epochs = epochs;
if (arch === 'conv') config.model = { ...config.model, arch: 'conv' };
const state = createTrainingState(config);
const started = performance.now();
const cpuStarted = process.cpuUsage();
const history = await train(state, data, {
  onEpoch: (m) => {
    process.stdout.write(
      `${path}${arch === 'conv' ? ' conv' : ''} epoch ${m.epoch}: ${m.seconds.toFixed(2)} s, ${Math.round(m.samples_per_sec)} samples/s, ` +
        `${((flopsPerExample * data.train.count) / m.seconds / 1e9).toFixed(2)} GFLOP/s, test NELBO ${m.test_nelbo.toFixed(2)}\n`,
    );
  },
});
const train_seconds = history.reduce((s, m) => s + m.seconds, 0);
// CPU time of every thread, training and evaluation: on a machine shared with other jobs it
// counts only what this process ran, where wall time also counts waiting for a core.
const cpuUsed = process.cpuUsage(cpuStarted);
const last = history[history.length - 1]!;
process.stdout.write(
  JSON.stringify({
    kernels: path,
    arch,
    train_size: data.train.count,
    gemm: native.ok && selection.native !== null ? native.info.gemm : null,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    epochs,
    seconds_per_epoch: train_seconds / epochs,
    cpu_seconds_per_epoch: (cpuUsed.user + cpuUsed.system) / 1e6 / epochs,
    samples_per_sec: (data.train.count * epochs) / train_seconds,
    gflops: (flopsPerExample * data.train.count * epochs) / train_seconds / 1e9,
    epoch1_test_nelbo: history[0]!.test_nelbo,
    final_test_nelbo: last.test_nelbo,
    wall_seconds: (performance.now() - started) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
