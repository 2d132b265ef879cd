/**
 * `npm run bench:conv-colour`: one epoch of the 64x64 colour conv VAE (stride-2 stages
 * 32, 64, 128, 256; dense 400; latent 20; batch 128; Adam 1e-3), ours on the native kernels
 * against the same network in PyTorch (bench/peers/pytorch_conv_vae.py, built by
 * python/vae_torch.py from the same model config), side by side in one run, each in a
 * process of its own, on the same bytes. PyTorch runs at each thread setting of
 * --peer-settings, T x B = T intra-op threads and B OpenBLAS threads (default 1x2,2x1), and
 * ours is compared with its best.
 *
 *   node dist/bench/conv-colour.js [--data emoji|generated] [--images N] [--size S]
 *        [--conv-channels 32,64,128,256] [--hidden 400] [--latent 20] [--likelihood bernoulli]
 *        [--epochs 1] [--peer-settings 1x2,2x1] [--json]
 *
 * --data generated (the default while the emoji set is not installed) draws N = 3786 images
 * (the emoji set's count) of coloured discs, squares and rings on white, from a fixed seed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainingState, defaultRunConfig, loadDataset, train, useKernels, type ImageDataset, type VaeConfig } from '../src/index.js';
import { Random } from '../src/engine/random.js';
import { kernelsInUse } from '../src/engine/tensor.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? '') : fallback;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const CHILD = option('--ours', '');
const dataChoice = option('--data', 'generated');
const count = Number(option('--images', '3786'));
const size = Number(option('--size', '64'));
const stages = option('--conv-channels', '32,64,128,256').split(',').map(Number);
const hidden = option('--hidden', '400').split(',').map(Number);
const latent = Number(option('--latent', '20'));
const likelihood = option('--likelihood', 'bernoulli') as VaeConfig['likelihood'];
const epochs = Number(option('--epochs', '1'));
const settings = option('--peer-settings', '1x2,2x1').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const json = process.argv.includes('--json');
if (!['emoji', 'generated'].includes(dataChoice)) fail('--data takes emoji or generated');
if (![count, size, latent, epochs].every((n) => Number.isInteger(n) && n >= 1)) fail('--images, --size, --latent and --epochs take whole numbers >= 1');
if (!settings.every((s) => s.length === 2 && s.every((n) => Number.isInteger(n) && n >= 1))) fail('--peer-settings takes T x B pairs, e.g. 1x2,2x1');

/** Coloured discs, squares and rings of varied size and place on white, CHW bytes; label = shape. */
function generatedImages(n: number, side: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Random(3786);
  const pixels = new Uint8Array(n * 3 * side * side).fill(255);
  const labels = new Uint8Array(n);
  const plane = side * side;
  for (let i = 0; i < n; i++) {
    const shape = i % 3;
    labels[i] = shape;
    const r = side * (0.15 + 0.25 * rng.uniform());
    const cx = r + (side - 2 * r) * rng.uniform();
    const cy = r + (side - 2 * r) * rng.uniform();
    const colour = [0, 1, 2].map(() => Math.floor(256 * rng.uniform()));
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const d = Math.hypot(dx, dy);
        const inside = shape === 0 ? d <= r : shape === 1 ? Math.max(Math.abs(dx), Math.abs(dy)) <= r : d <= r && d >= 0.6 * r;
        if (!inside) continue;
        for (let c = 0; c < 3; c++) pixels[i * 3 * plane + c * plane + y * side + x] = colour[c]!;
      }
  }
  return { pixels, labels };
}

/** An unsigned-byte IDX file of count x channels x height x width, the layout the peer reads. */
function idxBytes(ds: { pixels: Uint8Array; count: number; channels: number; height: number; width: number }): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt32BE(0x00000804, 0);
  [ds.count, ds.channels, ds.height, ds.width].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(ds.pixels.buffer, ds.pixels.byteOffset, ds.pixels.byteLength)]);
}

function readIdx(path: string): ImageDataset {
  const raw = readFileSync(path);
  const dims = [0, 1, 2, 3].map((i) => raw.readUInt32BE(4 + 4 * i));
  const [n, channels, height, width] = dims as [number, number, number, number];
  const pixels = new Uint8Array(raw.buffer, raw.byteOffset + 20, n * channels * height * width);
  return { name: 'bench', pixels, labels: new Uint8Array(n), count: n, channels, height, width, description: { classNames: [], noun: 'image' } };
}

function modelConfig(channels: number, height: number, width: number): VaeConfig {
  return { inputDim: channels * height * width, channels, imageHeight: height, imageWidth: width, hidden, latent, likelihood, arch: 'conv', convChannels: stages };
}

interface Result {
  label: string;
  seconds_per_epoch: number;
  cpu_seconds_per_epoch: number;
  samples_per_sec: number;
  peak_rss_mb: number;
  train_nelbo: number;
  [key: string]: unknown;
}

async function runOurs(file: string): Promise<void> {
  useKernels('native');
  const ds = readIdx(file);
  // The test split is a handful of images: this times training, and evaluation stays out of it.
  const test = { ...ds, pixels: ds.pixels.subarray(0, 16 * ds.channels * ds.height * ds.width), labels: ds.labels.subarray(0, 16), count: 16 };
  const config = defaultRunConfig();
  config.model = modelConfig(ds.channels, ds.height, ds.width);
  config.training.epochs = epochs;
  const state = createTrainingState(config);
  const cpuStarted = process.cpuUsage();
  const history = await train(state, { name: 'bench', train: ds, test }, {
    onEpoch: (m) => {
      process.stdout.write(`epoch ${m.epoch}: ${m.seconds.toFixed(2)} s, ${Math.round(m.samples_per_sec)} samples/s, train NELBO ${m.train_nelbo.toFixed(2)}\n`);
    },
  });
  const seconds = history.reduce((s, m) => s + m.seconds, 0) / epochs;
  const cpu = process.cpuUsage(cpuStarted);
  const result: Result = {
    label: `ours (${kernelsInUse()})`,
    seconds_per_epoch: seconds,
    cpu_seconds_per_epoch: (cpu.user + cpu.system) / 1e6 / epochs,
    samples_per_sec: ds.count / seconds,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    train_nelbo: history[history.length - 1]!.train_nelbo,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, label: string): Record<string, unknown> {
  process.stderr.write(`${label}...\n`);
  const child = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  const lines = (child.stdout ?? '').trim().split('\n');
  for (const line of lines.slice(0, -1)) process.stderr.write(`  ${line}\n`);
  if (child.status !== 0) fail(`${label} failed (exit ${child.status})`);
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

async function main(): Promise<void> {
  let ds: { pixels: Uint8Array; count: number; channels: number; height: number; width: number };
  let what: string;
  if (dataChoice === 'emoji') {
    const splits = loadDataset('emoji');
    ds = splits.train;
    what = `emoji, ${ds.count} training images of ${ds.channels}x${ds.height}x${ds.width}`;
  } else {
    ds = { ...generatedImages(count, size), count, channels: 3, height: size, width: size };
    what = `${count} generated colour images of 3x${size}x${size}`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vae-bench-colour-'));
  try {
    const file = join(dir, 'images-idx4-ubyte');
    writeFileSync(file, idxBytes(ds));
    const self = fileURLToPath(import.meta.url);
    const args = ['--ours', file, '--conv-channels', stages.join(','), '--hidden', hidden.join(','), '--latent', String(latent), '--likelihood', likelihood, '--epochs', String(epochs)];
    const results: Result[] = [runChild(process.execPath, [self, ...args], process.env, 'ours') as Result];
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const peer = fileURLToPath(new URL('../../bench/peers/pytorch_conv_vae.py', import.meta.url));
    const config = JSON.stringify(modelConfig(ds.channels, ds.height, ds.width));
    let best: Result | null = null;
    for (const [threads, blas] of settings) {
      const label = `PyTorch, ${threads} thread${threads === 1 ? '' : 's'} + ${blas} OpenBLAS`;
      const env = { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(threads) };
      const r = runChild(python, [peer, '--images', file, '--config', config, '--epochs', String(epochs), '--threads', String(threads)], env, label);
      const result: Result = {
        label,
        seconds_per_epoch: r.seconds_per_epoch as number,
        cpu_seconds_per_epoch: r.cpu_seconds_per_epoch as number,
        samples_per_sec: r.samples_per_sec as number,
        peak_rss_mb: r.peak_rss_mb as number,
        train_nelbo: r.final_train_nelbo as number,
      };
      results.push(result);
      if (best === null || result.seconds_per_epoch < best.seconds_per_epoch) best = result;
    }
    if (json) {
      for (const r of results) process.stdout.write(JSON.stringify({ ...r, ...(best ? { ratio_to_pytorch_best: r.seconds_per_epoch / best.seconds_per_epoch } : {}) }) + '\n');
      return;
    }
    process.stdout.write(
      `${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}; conv VAE ${stages.join('-')} / ${hidden.join('-')} / ${latent}, ` +
        `${likelihood}, ${epochs} epoch${epochs === 1 ? '' : 's'} of ${what}\n`,
    );
    const header = ['run', 's/epoch', 'CPU s/epoch', 'samples/s', 'peak RSS MB', 'train NELBO', 'x PyTorch best'];
    const rows = results.map((r) => [
      r.label,
      r.seconds_per_epoch.toFixed(2),
      r.cpu_seconds_per_epoch.toFixed(2),
      Math.round(r.samples_per_sec).toString(),
      Math.round(r.peak_rss_mb).toString(),
      r.train_nelbo.toFixed(1),
      best ? (r.seconds_per_epoch / best.seconds_per_epoch).toFixed(2) : '-',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    for (const row of [header, ...rows]) process.stdout.write(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (CHILD !== '') await runOurs(CHILD);
else await main();
