/**
 * `npm run bench`: the reference run (784-400-20 MLP VAE, batch 128, Adam, MNIST) with each
 * kernel path this machine has, each in its own process (bench/train-run.ts):
 *   native           the addon with the matrix product it picks by itself (its built-in
 *                    AVX-512 kernels on CPUs that have AVX-512, else OpenBLAS when built
 *                    with it, else its built-in AVX2 or baseline kernels)
 *   native-openblas  the addon forced onto OpenBLAS, when that is not already its pick
 *   native-builtin   the addon forced onto its built-in kernels, when its pick is OpenBLAS
 *   wasm-1t, wasm-2t the WebAssembly SIMD kernels, the matrix product on 1 or 2 threads
 *   js               the portable TypeScript kernels
 * Prints seconds per epoch, CPU seconds per epoch (all threads, evaluation included: the
 * steadier measure on a machine shared with other jobs), samples/s, GFLOP/s of matrix
 * products, and peak RSS.
 *
 *   npm run bench [-- --epochs N] [-- --json] [-- --peer] [-- --paths native,wasm-2t,js]
 *                 [-- --arch conv] [-- --train-size N]
 *
 * --arch conv times the conv VAE instead (the PyTorch peer has only the MLP); --train-size N
 * times epochs of the first N training images, for the slow paths.
 *
 * --json prints one JSON object per path (keys kernels, seconds_per_epoch, samples_per_sec,
 * gflops, peak_rss_mb, and more). --peer also runs bench/peers/pytorch_vae.py (Debian's
 * python3-torch) with 1 and with 2 threads and prints each path's time over PyTorch's best.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadNativeKernels } from '../src/kernels/native.js';
import { loadWasmKernels } from '../src/kernels/wasm.js';

interface Result {
  kernels: string;
  seconds_per_epoch: number;
  samples_per_sec: number;
  gflops?: number;
  peak_rss_mb: number;
  final_test_nelbo: number;
  [key: string]: unknown;
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const peer = argv.includes('--peer');
const epochsAt = argv.indexOf('--epochs');
const epochs = epochsAt >= 0 ? Number(argv[epochsAt + 1]) : 1;
const pathsAt = argv.indexOf('--paths');
const archAt = argv.indexOf('--arch');
const arch = archAt >= 0 ? argv[archAt + 1] ?? '' : 'mlp';
const sizeAt = argv.indexOf('--train-size');
const trainSize = sizeAt >= 0 ? argv[sizeAt + 1] ?? '' : '60000';
if (arch !== 'mlp' && arch !== 'conv') fail('--arch takes mlp or conv');
if (peer && arch === 'conv') fail('the PyTorch peer runs the MLP only');
if (!Number.isInteger(epochs) || epochs < 1) fail('--epochs needs a whole number >= 1');

const native = loadNativeKernels();
const available = ['js'];
const wasm = loadWasmKernels(1);
if (wasm.ok) available.unshift('wasm-1t', 'wasm-2t');
else process.stderr.write(`note: no wasm path (${wasm.reason})\n`);
if (native.ok) {
  const pick = native.info.gemm;
  if (pick === 'openblas') available.unshift('native', 'native-builtin');
  else if (native.setGemm('openblas')) available.unshift('native', 'native-openblas');
  else available.unshift('native');
} else {
  process.stderr.write(`note: no native path (${native.reason})\n`);
}
const paths = pathsAt >= 0 ? (argv[pathsAt + 1] ?? '').split(',') : available;
for (const p of paths) if (!available.includes(p)) fail(`unknown or unavailable path ${p}; available: ${available.join(', ')}`);

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** Runs a child, echoes its progress lines to stderr, returns its last line as JSON. */
function runChild(command: string, args: string[], label: string): Result {
  const child = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  const lines = (child.stdout ?? '').trim().split('\n');
  for (const line of lines.slice(0, -1)) process.stderr.write(`  ${line}\n`);
  if (child.status !== 0) fail(`${label} failed (exit ${child.status})`);
  return JSON.parse(lines[lines.length - 1]!) as Result;
}

const runner = fileURLToPath(new URL('./train-run.js', import.meta.url));
const results: Result[] = [];
for (const p of paths) {
  const gemm = p === 'native-builtin' ? 'builtin' : p === 'native-openblas' ? 'openblas' : 'default';
  const kernels = p === 'js' ? 'js' : p.startsWith('wasm') ? 'wasm' : 'native';
  const threads = p.startsWith('wasm') ? ['--threads', p.slice(5, -1)] : [];
  const args = [runner, '--epochs', String(epochs), '--kernels', kernels, ...threads, '--gemm', gemm, '--arch', arch, '--train-size', trainSize];
  process.stderr.write(`${p}: ${epochs} epoch${epochs === 1 ? '' : 's'}...\n`);
  results.push(runChild(process.execPath, args, p));
}

let best: Result | null = null;
if (peer) {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const script = fileURLToPath(new URL('../../bench/peers/pytorch_vae.py', import.meta.url));
  for (const threads of [1, 2]) {
    process.stderr.write(`pytorch, ${threads} thread${threads === 1 ? '' : 's'}: ${epochs} epoch${epochs === 1 ? '' : 's'}...\n`);
    const r = runChild(python, [script, '--epochs', String(epochs), '--threads', String(threads)], 'the PyTorch peer');
    r.kernels = `pytorch-${threads}t`;
    results.push(r);
    if (best === null || r.seconds_per_epoch < best.seconds_per_epoch) best = r;
  }
}

if (json) {
  for (const r of results) {
    const ratio = best !== null && !r.kernels.startsWith('pytorch') ? { ratio_to_pytorch: r.seconds_per_epoch / best.seconds_per_epoch } : {};
    process.stdout.write(JSON.stringify({ ...r, ...ratio }) + '\n');
  }
} else {
  const what = `${arch === 'conv' ? 'conv VAE, ' : ''}${epochs} epoch${epochs === 1 ? '' : 's'} of MNIST${trainSize === '60000' ? '' : ` (${trainSize} images)`}`;
  process.stdout.write(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, ${what}\n`);
  const header = ['path', 's/epoch', 'CPU s/epoch', 'samples/s', 'GFLOP/s', 'peak RSS MB', 'test NELBO', ...(best ? ['x PyTorch'] : [])];
  const rows = results.map((r) => [
    r.kernels + (typeof r.gemm === 'string' ? ` (${r.gemm})` : ''),
    r.seconds_per_epoch.toFixed(2),
    typeof r.cpu_seconds_per_epoch === 'number' ? r.cpu_seconds_per_epoch.toFixed(2) : '-',
    Math.round(r.samples_per_sec).toString(),
    r.gflops === undefined ? '-' : r.gflops.toFixed(1),
    Math.round(r.peak_rss_mb).toString(),
    r.final_test_nelbo.toFixed(2),
    ...(best ? [(r.seconds_per_epoch / best.seconds_per_epoch).toFixed(2)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n');
  if (best) process.stdout.write(`ratios are seconds per epoch over PyTorch's best (${best.kernels})\n`);
}
