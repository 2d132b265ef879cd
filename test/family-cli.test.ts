/**
 * The VAE family from the command line: each new flag's bad values exit 2 with one line,
 * a conditional run samples a chosen digit, eval reports the IW bound and latent statistics,
 * folder datasets load, and export / import round-trip with PyTorch's classic VAE.
 * The CLI runs in-process (test/support/cli.ts) on generated IDX data, so no run loads MNIST.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import {
  FASHION_MNIST_DIR,
  Random,
  Tensor,
  UserError,
  createTrainingState,
  decodeSafetensors,
  defaultRunConfig,
  fromTorchStateDict,
  loadCheckpoint,
  loadDataset,
  loadFashionMnist,
  loadImageFolder,
  resizeArea,
  saveCheckpoint,
  toTorchStateDict,
} from '../src/index.js';
import { vae, vaeOk, type CliResult } from './support/cli.js';
import { TINY_FLAGS, tempRoot, writeIdxFolder } from './support/tiny.js';

const PEER = fileURLToPath(new URL('../../bench/peers/torch_interop.py', import.meta.url));
const root = tempRoot('family-cli');
/** Generated 28x28 images with labels 0-9 in IDX files: the data of every run here. */
const DATA = ['--dataset', `idx:${writeIdxFolder(join(root, 'data'), { train: 256, test: 128 })}`];
/** The tiny run's sizes; the flag cases add no dataset, since each is refused before data are loaded. */
const TINY = TINY_FLAGS;
/** A conditional MLP run, trained once. */
let condDir: string;

const run = (args: string[], cwd = root): Promise<CliResult> => vae(args, cwd);
const runOk = (args: string[], cwd = root): Promise<CliResult> => vaeOk(args, cwd);

function writePngFile(path: string, size: number, pixel: (x: number, y: number) => number): void {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = pixel(x, y);
      png.data.set([v, v, v, 255], 4 * (y * size + x));
    }
  writeFileSync(path, PNG.sync.write(png));
}

function writeJpegFile(path: string, size: number, value: number): void {
  const data = Buffer.alloc(size * size * 4, value);
  writeFileSync(path, jpeg.encode({ data, width: size, height: size }, 100).data);
}

before(async () => {
  condDir = join(root, 'cond');
  await runOk(['train', ...TINY, ...DATA, '--conditional', '--out', condDir]);
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('bad input to the family flags: exit 2, one line', () => {
  const cases: { name: string; args: () => string[]; pattern: RegExp }[] = [
    { name: '--k 0', args: () => ['train', ...TINY, '--objective', 'iwae', '--k', '0'], pattern: /--k must be >= 1, got 0/ },
    { name: '--k without iwae', args: () => ['train', ...TINY, '--k', '5'], pattern: /--k sets the importance samples of --objective iwae/ },
    { name: '--beta -1', args: () => ['train', ...TINY, '--beta', '-1'], pattern: /--beta must be >= 0, got -1/ },
    { name: '--beta with iwae', args: () => ['train', ...TINY, '--objective', 'iwae', '--beta', '2'], pattern: /--objective iwae takes neither/ },
    { name: '--sigma 0', args: () => ['train', ...TINY, '--likelihood', 'gaussian-fixed', '--sigma', '0'], pattern: /--sigma must be > 0, got 0/ },
    { name: '--sigma with bernoulli', args: () => ['train', ...TINY, '--sigma', '0.1'], pattern: /--sigma sets the fixed standard deviation/ },
    { name: 'unknown likelihood', args: () => ['train', ...TINY, '--likelihood', 'poisson'], pattern: /--likelihood must be one of bernoulli, gaussian, gaussian-fixed/ },
    { name: 'gaussian on binarized data', args: () => ['train', ...TINY, '--likelihood', 'gaussian', '--binarize', 'dynamic'], pattern: /cannot be fitted to binarized/ },
    { name: 'unknown dataset', args: () => ['train', ...TINY, '--dataset', 'cifar'], pattern: /unknown dataset "cifar" \(expected mnist, fashion-mnist, emoji, dsprites, idx:DIR or folder:DIR\)/ },
    { name: 'missing folder', args: () => ['train', ...TINY, '--dataset', 'folder:nowhere'], pattern: /image folder not found: nowhere/ },
    { name: '--image-size without a folder', args: () => ['train', ...TINY, '--image-size', '32'], pattern: /--image-size applies to folder: and emoji datasets/ },
    { name: '--digit 11', args: () => ['sample', '--checkpoint', condDir, '--digit', '11', '--out', 'x.png'], pattern: /--digit 11 is not a class of this model \(0 to 9\)/ },
    { name: '--digit without a conditional model', args: () => ['sample', '--checkpoint', join(root, 'plain'), '--digit', '3', '--out', 'x.png'], pattern: /--digit needs a conditional model/ },
    { name: '--iw 0', args: () => ['eval', '--checkpoint', condDir, '--iw', '0'], pattern: /--iw must be >= 1, got 0/ },
    { name: 'export to a non-safetensors name', args: () => ['export', '--checkpoint', condDir, '--out', 'c.pt'], pattern: /--out must name a \.safetensors file/ },
    { name: 'import of a missing file', args: () => ['import', '--from', 'nothing.safetensors', '--out', 'imp'], pattern: /no such file: nothing\.safetensors/ },
    { name: 'import of a checkpoint (not the classic layout)', args: () => ['import', '--from', join(condDir, 'checkpoint.safetensors'), '--out', 'imp2'], pattern: /is not a VAE state dict this toolkit reads: unexpected tensor/ },
  ];
  before(() => runOk(['train', ...TINY, ...DATA, '--out', join(root, 'plain')]));
  for (const c of cases) {
    test(c.name, async () => {
      const r = await run(c.args());
      assert.equal(r.status, 2, `exit ${r.status}; stderr: ${r.stderr}`);
      assert.match(r.stderr, c.pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
      assert.ok(!existsSync(join(root, 'imp')) && !existsSync(join(root, 'x.png')), 'a failed command left a file');
    });
  }
});

describe('good paths', () => {
  test('sample --digit writes a grid of one class; the conditional run keeps its classes', async () => {
    const cfg = JSON.parse(readFileSync(join(condDir, 'config.json'), 'utf8'));
    assert.equal(cfg.model.classes, 10);
    const r = await runOk(['sample', '--checkpoint', condDir, '--digit', '5', '-n', '16', '--out', join(root, 'fives.png')]);
    assert.match(r.stdout, /16 samples of class 5/);
    const a = readFileSync(join(root, 'fives.png'));
    await runOk(['sample', '--checkpoint', condDir, '--digit', '1', '-n', '16', '--out', join(root, 'ones.png')]);
    assert.notDeepEqual(a, readFileSync(join(root, 'ones.png')), 'the label changes the samples');
  });

  test('eval --iw K --json: iw_nll below test_nelbo, iw_k, active_units, kl_per_dim summing to test_kl', async () => {
    const ev = JSON.parse((await runOk(['eval', '--checkpoint', condDir, '--iw', '20', '--json'])).stdout);
    assert.equal(ev.iw_k, 20);
    assert.ok(ev.iw_nll < ev.test_nelbo, `iw_nll ${ev.iw_nll}, test_nelbo ${ev.test_nelbo}`);
    assert.ok(Number.isInteger(ev.active_units) && ev.active_units >= 0 && ev.active_units <= 2);
    assert.equal(ev.kl_per_dim.length, 2);
    const total = ev.kl_per_dim.reduce((s: number, v: number) => s + v, 0);
    assert.ok(Math.abs(total - ev.test_kl) < 1e-6 * Math.max(1, ev.test_kl), `${total} vs ${ev.test_kl}`);
    const plain = (await runOk(['eval', '--checkpoint', condDir, '--iw', '20'])).stdout;
    assert.match(plain, /importance-weighted, K = 20/);
    assert.match(plain, /active latent units: \d of 2/);
  });

  test('a Gaussian conv run and an IWAE run train from the CLI, and eval reports bits/dim for the Gaussian', async () => {
    const g = join(root, 'gauss-conv');
    const out = (await runOk(['train', ...TINY, ...DATA, '--arch', 'conv', '--likelihood', 'gaussian', '--out', g])).stdout;
    assert.match(out, /conv VAE 28x28-c32-c64-32-2, Gaussian decoder \(learned variance, sigmoid mean\)/);
    // New runs record the sigmoid mean, so the checkpoint decodes the same way wherever it is loaded.
    assert.equal(JSON.parse(readFileSync(join(g, 'config.json'), 'utf8')).model.gaussianMean, 'sigmoid');
    const ev = JSON.parse((await runOk(['eval', '--checkpoint', g, '--json'])).stdout);
    assert.ok(Number.isFinite(ev.test_nelbo) && Number.isFinite(ev.bits_per_dim), JSON.stringify(ev));
    assert.ok(Math.abs(ev.bits_per_dim - (ev.test_nelbo / (784 * Math.LN2) + 8)) < 1e-9);
    const iw = join(root, 'iwae');
    assert.match((await runOk(['train', ...TINY, ...DATA, '--objective', 'iwae', '--k', '3', '--binarize', 'dynamic', '--out', iw])).stdout, /IWAE bound, K = 3/);
    const b = join(root, 'beta');
    assert.match((await runOk(['train', ...TINY, ...DATA, '--beta', '2', '--kl-warmup', '4', '--out', b])).stdout, /beta-ELBO, beta = 2, KL warm-up over 4 steps/);
    const r = await run(['train', '--resume', b, '--epochs', '2', '--beta', '3']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--beta cannot be changed when resuming/);
  });

  test('folder:DIR trains on PNG and JPEG files in class folders, resized to --image-size', async () => {
    const dir = join(root, 'pictures');
    for (const c of ['0', '1']) mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < 12; i++) {
      writePngFile(join(dir, '0', `ring-${i}.png`), 40, (x, y) => (Math.abs(Math.hypot(x - 20, y - 20) - 12) < 3 ? 255 : 0));
      writeJpegFile(join(dir, '1', `flat-${i}.jpg`), 24, 60 + 10 * i);
    }
    writeFileSync(join(dir, '1', 'notes.txt'), 'not an image');
    const run1 = join(root, 'folder-run');
    await runOk(['train', '--dataset', `folder:${dir}`, '--image-size', '16', '--epochs', '1', '--hidden', '16', '--latent', '2', '--batch-size', '8', '--conditional', '--out', run1]);
    const state = loadCheckpoint(run1);
    assert.equal(state.model.config.inputDim, 256);
    assert.equal(state.model.config.classes, 2);
    const ev = JSON.parse((await runOk(['eval', '--checkpoint', run1, '--json'])).stdout);
    assert.equal(ev.examples, 6, 'a small folder holds out a quarter of its 24 images (10% would be 2)');
    await runOk(['sample', '--checkpoint', run1, '--class', '1', '-n', '4', '--out', join(root, 'folder-samples.png')]);
  });

  test('the PyTorch example round trip: import a torch-written file, match its outputs, export, load in torch', async (t) => {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('Debian python3-torch is not installed (/usr/bin/python3 cannot import torch)');
      return;
    }
    const py = (args: string[]): void => {
      const r = spawnSync('/usr/bin/python3', [PEER, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `python ${args.join(' ')}: ${r.stderr}`);
    };
    py(['write', 'torch-model.safetensors', 'torch-ref.safetensors', '--hidden', '48', '--latent', '6', '--seed', '3']);
    await runOk(['import', '--from', 'torch-model.safetensors', '--out', 'imported']);
    const { model, epoch } = loadCheckpoint(join(root, 'imported'));
    assert.equal(epoch, 0);
    assert.deepEqual([model.config.inputDim, model.config.hidden[0], model.config.latent], [784, 48, 6]);
    const ref = decodeSafetensors(readFileSync(join(root, 'torch-ref.safetensors'))).tensors;
    const x = new Tensor(ref.x!.data, [8, 784]);
    const { mu, logvar } = model.encode(x);
    const logits = model.decode(mu);
    const close = (name: string, a: Float32Array, b: Float32Array): void => {
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst < 1e-4, `${name}: largest difference from torch ${worst}`);
    };
    close('mu', mu.data, ref.mu!.data);
    close('logvar', logvar.data, ref.logvar!.data);
    close('logits', logits.data, ref.logits!.data);

    // Our own weights, exported, loaded by torch with strict=True, give our outputs there.
    const c = defaultRunConfig();
    c.model.hidden = [40];
    c.model.latent = 3;
    mkdirSync(join(root, 'ours'));
    saveCheckpoint(join(root, 'ours'), createTrainingState(c));
    await runOk(['export', '--checkpoint', 'ours', '--out', 'ours.safetensors']);
    py(['check', 'ours.safetensors', 'torch-ref.safetensors', 'torch-out.safetensors']);
    const ours = loadCheckpoint(join(root, 'ours')).model;
    const got = decodeSafetensors(readFileSync(join(root, 'torch-out.safetensors'))).tensors;
    const p = ours.encode(x);
    close('torch mu of our model', p.mu.data, got.mu!.data);
    close('torch logvar of our model', p.logvar.data, got.logvar!.data);
    close('torch logits of our model', ours.decode(p.mu).data, got.logits!.data);
    // And the file round-trips to the same weights.
    const back = fromTorchStateDict(decodeSafetensors(readFileSync(join(root, 'ours.safetensors'))).tensors);
    assert.deepEqual(toTorchStateDict(back), toTorchStateDict(ours));
  });
});

describe('data sources', () => {
  test('fashion-mnist loads from the Debian package; a missing install says how to get it', (t) => {
    assert.throws(() => loadFashionMnist(join(root, 'no-fashion')), (err: Error) => err instanceof UserError && /apt-get install dataset-fashion-mnist/.test(err.message));
    if (!existsSync(FASHION_MNIST_DIR)) {
      t.skip(`${FASHION_MNIST_DIR} is not installed`);
      return;
    }
    const data = loadDataset('fashion-mnist');
    assert.deepEqual([data.train.count, data.test.count, data.train.height, data.train.width], [60000, 10000, 28, 28]);
    assert.equal(Math.max(...data.test.labels), 9);
  });

  test('image folders: grey by luminance, area resize, seeded split, labels from class folders', () => {
    const dir = join(root, 'split');
    mkdirSync(dir);
    for (let i = 0; i < 10; i++) writePngFile(join(dir, `img-${i}.png`), 8, (x) => (x < 4 ? 0 : 20 * i));
    const a = loadImageFolder(dir, { size: 4, seed: 1, testFraction: 0.2 });
    assert.deepEqual([a.train.count, a.test.count, a.train.height], [8, 2, 4]);
    assert.ok(a.train.labels.every((l) => l === 0));
    // 8x8 -> 4x4: the left half stays black, the right half keeps its grey level.
    const img = a.test.pixels.subarray(0, 16);
    assert.equal(img[0], 0);
    assert.ok(img[3]! > 0 || a.test.pixels.subarray(16, 32)[3]! > 0);
    const same = loadImageFolder(dir, { size: 4, seed: 1, testFraction: 0.2 });
    assert.deepEqual(same.test.pixels, a.test.pixels);
    const other = loadImageFolder(dir, { size: 4, seed: 2, testFraction: 0.2 });
    assert.notDeepEqual(other.test.pixels, a.test.pixels);
    assert.deepEqual([...resizeArea(Float32Array.from([0, 1, 1, 0]), 2, 2, 1, 1)], [0.5]);
    assert.deepEqual([...resizeArea(Float32Array.from([0, 1]), 2, 1, 4, 1)], [0, 0, 1, 1]);
    const mixed = join(root, 'mixed');
    mkdirSync(join(mixed, 'a'), { recursive: true });
    writePngFile(join(mixed, 'top.png'), 4, () => 0);
    assert.throws(() => loadImageFolder(mixed), /both images and class folders/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.throws(() => loadImageFolder(empty), /has 0 PNG\/JPEG\/WebP images; at least 2 are needed/);
    writeFileSync(join(empty, 'broken.png'), 'not a png');
    writeFileSync(join(empty, 'broken2.png'), 'not a png');
    assert.throws(() => loadImageFolder(empty), (err: Error) => err instanceof UserError && /cannot decode image/.test(err.message));
  });

  test('old checkpoints without the family fields load as what they were: MLP, ELBO, unconditional', () => {
    const c = defaultRunConfig();
    c.model.hidden = [8];
    c.model.latent = 2;
    const dir = join(root, 'old');
    mkdirSync(dir);
    saveCheckpoint(dir, createTrainingState(c));
    const raw = decodeSafetensors(readFileSync(join(dir, 'checkpoint.safetensors')));
    const cfg = JSON.parse(raw.metadata.config!);
    for (const key of ['arch', 'classes', 'sigma']) assert.ok(!(key in cfg.model), `${key} present`);
    for (const key of ['objective', 'k', 'beta', 'klWarmup']) assert.ok(!(key in cfg.training), `${key} present`);
    const state = loadCheckpoint(dir);
    assert.equal(state.model.classes, 0);
    assert.deepEqual(state.model.parameters().map(([n]) => n), createTrainingState(c).model.parameters().map(([n]) => n));
    assert.equal(state.model.sample(1, new Random(0)).length, 784);
  });
});
