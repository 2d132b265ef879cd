/**
 * Image folders and colour data cross to PyTorch and back: python/train_ddp.py reads a
 * folder (with PIL) into the bytes and the train/test split our loader makes; a conv model
 * trained on a colour folder comes back from a two-process DDP epoch with the numbers both
 * sides compute agreeing; and `vae pack` writes a folder as IDX files that `idx:DIR` reads
 * back byte for byte, class names kept, on our side and PyTorch's.
 * Skipped, with the reason, where /usr/bin/python3 cannot import torch or PIL.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, Tensor, loadCheckpoint, loadDataset, datasetFloats } from '../src/index.js';
import { SMALL_FOLDER_TEST_IMAGES } from '../src/run/settings.js';
import { loadImageFolder, resizeArea } from '../src/data/folder.js';
import { encodePng } from '../src/viz/png.js';
import { encodeLosslessWebp } from './support/webp.js';
import { folderRecord } from '../src/data/fingerprint.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { freePort } from './support/free-port.js';

const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';
const PYTHON_DIR = fileURLToPath(new URL('../../python/', import.meta.url));
const TRAIN_DDP = join(PYTHON_DIR, 'train_ddp.py');
const root = tempRoot('torch-ddp-folder');
after(() => rmSync(root, { recursive: true, force: true }));

function missing(): string | null {
  for (const module of ['torch', 'PIL']) {
    const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${PYTHON} cannot import ${module} (install Debian ${module === 'PIL' ? 'python3-pil' : 'python3-torch'} to run these tests)`;
  }
  return null;
}
const NO_PYTHON = missing();

function python(args: string[], timeout = 120_000): string {
  const r = spawnSync(PYTHON, args, { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `python3 ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Python that imports train_ddp.py's functions. */
function withTrainDdp(code: string): string[] {
  return ['-c', `import sys, json, torch; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)}); import train_ddp as T\n${code}`];
}

/**
 * red/ and blue/: discs and bars on a light ground, of several non-square sizes, some with
 * transparent corners (laid over white), so fitting, resampling and compositing all show.
 */
function writeColourFolder(dir: string, count: number, seed = 3): string {
  const rng = new Random(seed);
  const sizes = [
    [30, 44],
    [41, 27],
    [24, 24],
    [37, 50],
  ] as const;
  for (const name of ['red', 'blue']) mkdirSync(join(dir, name), { recursive: true });
  for (let i = 0; i < count; i++) {
    const red = i % 2 === 0;
    const [height, width] = sizes[i % sizes.length]!;
    const alpha = i % 3 === 0;
    const channels = alpha ? 4 : 3;
    const pixels = new Uint8Array(height * width * channels);
    const r = Math.min(height, width) * (0.2 + 0.2 * rng.uniform());
    const cx = r + rng.uniform() * (width - 2 * r);
    const cy = r + rng.uniform() * (height - 2 * r);
    const shade = 150 + rng.int(100);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
        const o = (y * width + x) * channels;
        const colour = inside ? (red ? [shade, 30, 20 + rng.int(20)] : [25, 40 + rng.int(20), shade]) : [228 + rng.int(10), 226, 220];
        pixels.set(colour, o);
        if (alpha) pixels[o + 3] = x < 4 && y < 4 ? 0 : x < 8 ? 128 + x : 255;
      }
    }
    writeFileSync(join(dir, red ? 'red' : 'blue', `${String(i).padStart(3, '0')}.png`), encodePng({ width, height, channels, pixels }));
  }
  return dir;
}

function worstByteDifference(a: Uint8Array, b: Uint8Array): { worst: number; differing: number } {
  assert.equal(a.length, b.length, 'as many bytes');
  let worst = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    worst = Math.max(worst, d);
  }
  return { worst, differing };
}

describe('train_ddp.py reads image folders as vae does', { skip: NO_PYTHON ?? false }, () => {
  test('the same bytes (within 1 level) and the same test files, for PNG and WebP, colour, grey, crop, pad and stretch', (t) => {
    const dir = writeColourFolder(join(root, 'colours'), 40);
    // WebP too (libwebp on both sides): a red and a blue disc with transparent corners.
    for (const [name, colour] of [['red', [255, 0, 0]], ['blue', [0, 0, 255]]] as const) {
      const [w, h] = [26, 34];
      const rgba = new Uint8Array(4 * w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inside = (x - 13) ** 2 + (y - 17) ** 2 < 100;
          const corner = (x < 5 || x >= w - 5) && (y < 5 || y >= h - 5);
          rgba.set(corner ? [0, 0, 0, 0] : inside ? [...colour, 255] : [255, 255, 255, 255], 4 * (y * w + x));
        }
      }
      writeFileSync(join(dir, name, 'disc.webp'), encodeLosslessWebp(w, h, rgba));
    }
    const cases = [
      { channels: 3 as const, height: 16, width: 12, fit: 'crop' as const, seed: 1, testFraction: 0.1 },
      { channels: 1 as const, height: 14, width: 14, fit: 'pad' as const, seed: 7, testFraction: 0.3 },
      { channels: 3 as const, height: 9, width: 20, fit: 'stretch' as const, seed: 12345, testFraction: 0.25 },
      { channels: 3 as const, height: 20, width: 10, fit: 'pad' as const, seed: 2, testFraction: 0.5 },
      { channels: 1 as const, height: 24, width: 24, fit: 'crop' as const, seed: 4294967295, testFraction: 0.2 },
    ];
    for (const [i, c] of cases.entries()) {
      const ours = loadImageFolder(dir, { size: { height: c.height, width: c.width }, channels: c.channels, fit: c.fit, seed: c.seed, testFraction: c.testFraction });
      const config = { imageHeight: c.height, imageWidth: c.width, channels: c.channels };
      const out = join(root, `py-${i}`);
      const stdout = python(
        withTrainDdp(
          `train, test, names, paths = T.folder_splits(${JSON.stringify(dir)}, ${JSON.stringify(config)}, ${JSON.stringify(c.fit)}, ${c.seed}, ${c.testFraction})\n` +
            `open(${JSON.stringify(out + '.train')}, 'wb').write(train[0].numpy().tobytes()); open(${JSON.stringify(out + '.test')}, 'wb').write(test[0].numpy().tobytes())\n` +
            `print(json.dumps({'names': names, 'paths': paths, 'train_labels': train[1].tolist(), 'test_labels': test[1].tolist()}))`,
        ),
      );
      const theirs = JSON.parse(stdout.trim().split('\n').pop()!) as { names: string[]; paths: string[]; train_labels: number[]; test_labels: number[] };
      const what = `${c.channels === 3 ? 'colour' : 'grey'} ${c.height}x${c.width} ${c.fit}, seed ${c.seed}`;
      assert.deepEqual(theirs.names, ['blue', 'red'], what);
      // The record keeps a digest of the test files in split order: theirs must give the same.
      assert.equal(folderRecord(dir, [], theirs.paths, 0).test, ours.record!.test, `${what}: test files`);
      assert.deepEqual(theirs.test_labels, Array.from(ours.test.labels), `${what}: test labels`);
      assert.deepEqual(theirs.train_labels, Array.from(ours.train.labels), `${what}: train labels`);
      for (const split of ['train', 'test'] as const) {
        const { worst, differing } = worstByteDifference(new Uint8Array(readFileSync(`${out}.${split}`)), ours[split].pixels);
        t.diagnostic(`${what}, ${split}: ${differing} of ${ours[split].pixels.length} bytes differ, by at most ${worst}`);
        assert.ok(worst <= 1, `${what}, ${split}: bytes differ by up to ${worst} levels`);
      }
    }
  });

  test("the Python area averaging is ours on a picture; PIL's BOX filter is not, at fractional scales", (t) => {
    const h = 37;
    const w = 53;
    const plane = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) plane[y * w + x] = 0.5 + 0.5 * Math.sin(x / 5) * Math.cos(y / 7);
    writeFileSync(join(root, 'plane.f32'), plane);
    const stdout = python(
      withTrainDdp(
        `from PIL import Image\n` +
          `p = torch.frombuffer(bytearray(open('plane.f32', 'rb').read()), dtype=torch.float32).reshape(${h}, ${w})\n` +
          `ours = T.area_resample(p, (0.0, 0.0, ${w}.0, ${h}.0), 28, 20)\n` +
          `box = torch.frombuffer(bytearray(Image.frombytes('F', (${w}, ${h}), p.numpy().tobytes()).resize((20, 28), Image.BOX).tobytes()), dtype=torch.float32)\n` +
          `print(json.dumps({'ours': ours.flatten().tolist(), 'box': box.tolist()}))`,
      ),
    );
    const got = JSON.parse(stdout.trim().split('\n').pop()!) as { ours: number[]; box: number[] };
    const expected = resizeArea(plane, w, h, 20, 28);
    let worst = 0;
    let worstBox = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i]! - got.ours[i]!) * 255);
      worstBox = Math.max(worstBox, Math.abs(expected[i]! - got.box[i]!) * 255);
    }
    t.diagnostic(`53x37 -> 20x28: train_ddp.py's area averaging differs from ours by ${worst.toExponential(1)} levels at most, PIL's BOX by ${worstBox.toFixed(2)}`);
    assert.ok(worst < 1e-3, `area averaging differs by ${worst} levels`);
  });

  test('a damaged picture, an empty folder and a bad --fit: one line on stderr naming the problem, exit 2', () => {
    const dir = writeColourFolder(join(root, 'damaged'), 6);
    writeFileSync(join(dir, 'red', '900.png'), readFileSync(join(dir, 'red', '000.png')).subarray(0, 60));
    mkdirSync(join(root, 'empty'), { recursive: true });
    const init = join(root, 'tiny.safetensors');
    python(
      withTrainDdp(
        `import vae_torch\nm = vae_torch.build_model({'inputDim': 3 * 64, 'channels': 3, 'imageHeight': 8, 'imageWidth': 8, 'hidden': [8], 'latent': 2, 'likelihood': 'bernoulli', 'arch': 'conv'})\n` +
          `vae_torch.save_export(${JSON.stringify(init)}, m, {})`,
      ),
    );
    const cases: [string[], RegExp][] = [
      [['--data', `folder:${dir}`], /cannot decode image .*red\/900\.png/],
      [['--data', `folder:${join(root, 'empty')}`], /image folder .*empty has 0 PNG\/JPEG\/WebP images/],
      [['--data', `folder:${dir}`, '--test-fraction', '1.5'], /--test-fraction must be in \(0, 1\)/],
    ];
    for (const [args, pattern] of cases) {
      const r = spawnSync(PYTHON, [TRAIN_DDP, '--init', init, '--epochs', '1', '--out', 'never.safetensors', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(existsSync(join(root, 'never.safetensors')), false);
    }
  });
});

describe('DistributedDataParallel on an image folder', { skip: NO_PYTHON ?? (existsSync(TORCHRUN) ? false : `${TORCHRUN} is missing`) }, () => {
  test('a colour conv run on red/ and blue/ trains one DDP epoch from folder:DIR; vae import and vae eval agree with torch', async (t) => {
    const dir = writeColourFolder(join(root, 'ddp-colours'), 240, 11);
    const data = `folder:${dir}`;
    await vaeOk(
      ['train', '--dataset', data, '--arch', 'conv', '--conv-channels', '8,16', '--image-size', '16', '--hidden', '32', '--latent', '4', '--conditional',
        '--test-fraction', '0.5', '--seed', '5', '--epochs', '1', '--batch-size', '40', '--out', 'folder-run'],
      root,
    );
    const runConfig = JSON.parse(readFileSync(join(root, 'folder-run', 'config.json'), 'utf8'));
    assert.equal(runConfig.training.fit, 'crop');
    await vaeOk(['export', '--checkpoint', 'folder-run', '--out', 'folder.safetensors'], root);

    const r = spawnSync(
      TORCHRUN,
      ['--redirects', '9:0', '--tee', '9:0', `--master_port=${await freePort()}`, '--nproc_per_node=2', TRAIN_DDP, '--init', 'folder.safetensors', '--data', data, '--epochs', '1', '--batch-size', '40', '--out', 'folder-ddp.safetensors', '--json'],
      { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
    );
    assert.equal(r.status, 0, `torchrun:\n${r.stdout}\n${r.stderr}`);
    // The split the run made (seed 5, half for testing), read from the export's metadata.
    assert.match(r.stdout, /2 processes \(gloo\), 120 train \/ 120 test images/);
    const torchEval = JSON.parse(r.stdout.trim().split('\n').pop()!) as { test_nelbo: number; test_kl: number; test_nelbo_at_mean: number; examples: number };

    await vaeOk(['import', '--from', 'folder-ddp.safetensors', '--dataset', data, '--out', 'folder-back'], root);
    const back = JSON.parse(readFileSync(join(root, 'folder-back', 'config.json'), 'utf8'));
    assert.deepEqual(back.data.classNames, ['blue', 'red']);
    assert.equal(back.data.channels, 3);
    assert.deepEqual([back.training.fit, back.training.seed, back.training.testFraction], ['crop', 5, 0.5]);

    const ours = JSON.parse((await vaeOk(['eval', '--checkpoint', join(root, 'folder-back'), '--json'], root)).stdout) as { test_nelbo: number; test_kl: number; examples: number };
    assert.equal(ours.examples, 120);
    t.diagnostic(`test NELBO: vae eval ${ours.test_nelbo.toFixed(3)}, torch ${torchEval.test_nelbo.toFixed(3)} nats per example`);
    assert.ok(Math.abs(ours.test_nelbo - torchEval.test_nelbo) < 0.5, `vae eval ${ours.test_nelbo} vs torch ${torchEval.test_nelbo}`);
    assert.ok(Math.abs(ours.test_kl - torchEval.test_kl) < 1e-3 * Math.max(1, ours.test_kl), `KL ${ours.test_kl} vs torch ${torchEval.test_kl}`);

    // At the posterior mean nothing is drawn: on the same test images, the same number.
    const state = loadCheckpoint(join(root, 'folder-back'));
    const test = loadDataset(data, { imageSize: 16, channels: 3, fit: 'crop', seed: 5, testFraction: 0.5 }).test;
    const dim = 3 * 16 * 16;
    const x = new Tensor(datasetFloats(test, test.count), [test.count, dim]);
    const labels = Array.from(test.labels);
    const posterior = state.model.encode(x, labels);
    const recon = state.model.negLogLikelihood(state.model.decodeDistribution(posterior.mu, labels), x);
    let total = 0;
    for (let k = 0; k < test.count; k++) {
      total += recon.data[k]!;
      for (let j = 0; j < 4; j++) {
        const m = posterior.mu.data[k * 4 + j]!;
        const lv = posterior.logvar.data[k * 4 + j]!;
        total += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
      }
    }
    const atMean = total / test.count;
    assert.ok(Math.abs(atMean - torchEval.test_nelbo_at_mean) < 1e-3 * Math.max(1, atMean), `at the posterior mean: ours ${atMean}, torch ${torchEval.test_nelbo_at_mean}`);
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('vae pack', () => {
  test('a colour folder packed as IDX reads back byte for byte with its class names, on our side and PyTorch\'s', async (t) => {
    const dir = writeColourFolder(join(root, 'pack-colours'), 30, 5);
    const options = { imageSize: { height: 12, width: 16 }, channels: 3 as const, fit: 'pad' as const, seed: 9, testFraction: 0.2 };
    const r = await vaeOk(['pack', '--dataset', `folder:${dir}`, '--out', 'packed', '--image-size', '12x16', '--fit', 'pad', '--seed', '9', '--test-fraction', '0.2'], root);
    assert.match(r.stdout, /wrote 24 train \/ 6 test colour 12x16 images .* 2 class names in classes\.json/);
    const folder = loadDataset(`folder:${dir}`, options);
    const idx = loadDataset(`idx:${join(root, 'packed')}`);
    for (const split of ['train', 'test'] as const) {
      assert.equal(idx[split].channels, 3);
      assert.deepEqual([idx[split].count, idx[split].height, idx[split].width], [folder[split].count, 12, 16]);
      assert.ok(sameBytes(idx[split].pixels, folder[split].pixels), `${split} pixels`);
      assert.ok(sameBytes(idx[split].labels, folder[split].labels), `${split} labels`);
    }
    assert.deepEqual(idx.train.description.classNames, ['blue', 'red']);
    assert.equal(idx.train.description.noun, 'image');
    assert.equal(readFileSync(join(root, 'packed', 'train-images-idx3-ubyte'))[3], 4, 'colour images are a 4-dimensional IDX file');

    if (NO_PYTHON !== null) {
      t.diagnostic(`the PyTorch half is skipped: ${NO_PYTHON}`);
      return;
    }
    const stdout = python(
      withTrainDdp(
        `cfg = {'inputDim': 3 * 12 * 16}\n` +
          `x, y = T.idx_split('packed', 't10k', None, cfg)\n` +
          `open('packed-test.bin', 'wb').write(x.numpy().tobytes())\n` +
          `print(json.dumps({'labels': y.tolist(), 'names': T.idx_class_names('packed')}))`,
      ),
    );
    const got = JSON.parse(stdout.trim().split('\n').pop()!) as { labels: number[]; names: string[] };
    assert.ok(sameBytes(readFileSync(join(root, 'packed-test.bin')), folder.test.pixels), 'the test images in PyTorch');
    assert.deepEqual(got.labels, Array.from(folder.test.labels));
    assert.deepEqual(got.names, ['blue', 'red']);
  });

  test('grey data stay 3-dimensional IDX files; stale names go; bad names and misplaced flags are refused in one line', async () => {
    const dir = writeColourFolder(join(root, 'pack-grey'), 10, 6);
    mkdirSync(join(root, 'packed-grey'), { recursive: true });
    await vaeOk(['pack', '--dataset', `folder:${dir}`, '--out', 'packed-grey', '--channels', '1', '--image-size', '8'], root);
    assert.equal(readFileSync(join(root, 'packed-grey', 'train-images-idx3-ubyte'))[3], 3);
    const grey = loadDataset(`idx:${join(root, 'packed-grey')}`);
    assert.equal(grey.train.channels, 1);
    // Split as a new run of this small folder would split it (more than the default 10% held out).
    assert.ok(sameBytes(grey.test.pixels, loadDataset(`folder:${dir}`, { imageSize: 8, channels: 1, fit: 'crop', minTestImages: SMALL_FOLDER_TEST_IMAGES }).test.pixels));
    // A folder without class folders has no names: a classes.json left from an earlier pack would misname its classes.
    mkdirSync(join(root, 'unnamed'));
    for (const f of ['000.png', '002.png']) writeFileSync(join(root, 'unnamed', f), readFileSync(join(dir, 'red', f)));
    await vaeOk(['pack', '--dataset', `folder:${join(root, 'unnamed')}`, '--out', 'packed-grey', '--channels', '1', '--image-size', '8'], root);
    assert.equal(existsSync(join(root, 'packed-grey', 'classes.json')), false, 'the stale names are gone');

    writeFileSync(join(root, 'packed-grey', 'classes.json'), '["only one"]');
    await vaeOk(['pack', '--dataset', `folder:${dir}`, '--out', 'packed-grey', '--channels', '1', '--image-size', '8'], root);
    writeFileSync(join(root, 'packed-grey', 'classes.json'), '["only one"]');
    assertUserFailure(await vae(['pack', '--dataset', `idx:${join(root, 'packed-grey')}`, '--out', 'x'], root), /bad class names file .*classes\.json: names 1 classes, the labels go up to 1/);
    writeFileSync(join(root, 'packed-grey', 'classes.json'), '{"a": 1}');
    assertUserFailure(await vae(['pack', '--dataset', `idx:${join(root, 'packed-grey')}`, '--out', 'x'], root), /bad class names file .*: expected a JSON list of non-empty strings/);
    assertUserFailure(await vae(['pack', '--dataset', 'mnist', '--out', 'x', '--image-size', '14'], root), /--image-size applies to folder: and emoji datasets/);
    assertUserFailure(await vae(['pack', '--dataset', `folder:${dir}`], root), /--out/);
    assert.equal(existsSync(join(root, 'x')), false, 'nothing written on a refusal');
  });
});
