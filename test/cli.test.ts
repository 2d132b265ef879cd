/**
 * End-to-end tests of the `vae` command line, run in-process through test/support/cli.ts in a
 * fresh temp folder (a real subprocess only where a process is the subject: Ctrl-C). Runs are
 * tiny (512 generated 28x28 images in IDX files, one hidden layer of 32, latent 2), so no test
 * here loads MNIST; one shared run is trained once and reused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { assertUserFailure, startVae, vae, vaeOk, vaeProcess } from './support/cli.js';
import { idxImages, idxLabels, tempRoot, writeIdxFolder } from './support/tiny.js';

const root = tempRoot('cli-test');
/** 512 train / 256 test generated images: the data of every run here, loaded in milliseconds. */
const dataDir = writeIdxFolder(join(root, 'data'), { train: 512, test: 256 });
const DATA = ['--dataset', `idx:${dataDir}`];
const TINY = ['--train-size', '512', '--test-size', '256', '--epochs', '1', '--hidden', '32', '--latent', '2', ...DATA];

/** The shared run: TINY flags, trained once. */
let runDir: string;

/** A fresh folder for one case, inside the file's temp root. */
function caseDir(): string {
  return mkdtempSync(join(root, 'case-'));
}

/** Every regular file under `dir` (relative path -> sha256), recursively, dot-files included. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, rel);
    if (statSync(path).isFile()) out.set(rel, createHash('sha256').update(readFileSync(path)).digest('hex'));
  }
  return out;
}

function tmpFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.endsWith('.tmp'));
}

/** The small IDX folder of the defect cases: 6 train and 4 test images; `override` plants one defect. */
function writeSmallIdx(dir: string, override: Partial<Record<string, Buffer>> = {}): void {
  writeIdxFolder(dir, { train: 6, test: 4, override });
}

// --- shared run ------------------------------------------------------------------

before(async () => {
  runDir = join(root, 'shared');
  await vaeOk(['train', ...TINY, '--out', runDir], root);
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

// --- bad input ---------------------------------------------------------------------

interface BadCase {
  name: string;
  args: string[] | ((dir: string) => string[]);
  pattern: RegExp;
  setup?: (dir: string) => void;
  todo?: string;
}

const badCases: BadCase[] = [
  { name: 'unknown command suggests the closest', args: ['trian'], pattern: /unknown command "trian".*did you mean train\?/ },
  { name: 'unknown flag suggests the closest', args: ['train', '--epoch', '3', '--out', 'run'], pattern: /unknown flag --epoch \(did you mean --epochs\?\)/ },
  { name: 'missing value at the end', args: ['train', '--out', 'run', '--epochs'], pattern: /--epochs needs a value/ },
  { name: 'non-numeric value', args: ['train', '--out', 'run', '--epochs', 'ten'], pattern: /--epochs expects an integer, got "ten"/ },
  { name: '--epochs 0', args: ['train', '--out', 'run', '--epochs', '0'], pattern: /--epochs must be >= 1, got 0/ },
  { name: '--latent 0', args: ['train', '--out', 'run', '--latent', '0'], pattern: /--latent must be >= 1, got 0/ },
  { name: '--lr 0', args: ['train', '--out', 'run', '--lr', '0'], pattern: /--lr must be > 0, got 0/ },
  { name: '--lr -1', args: ['train', '--out', 'run', '--lr', '-1'], pattern: /--lr must be > 0, got -1/ },
  { name: '--batch-size 0', args: ['train', '--out', 'run', '--batch-size', '0'], pattern: /--batch-size must be >= 1, got 0/ },
  { name: 'bad --binarize', args: ['train', '--out', 'run', '--binarize', 'maybe'], pattern: /--binarize must be one of none, dynamic/ },
  { name: 'bad --kernels', args: ['train', '--out', 'run', '--kernels', 'gpu'], pattern: /--kernels must be one of auto, native, wasm, js/ },
  { name: '--dataset idx:/nonexistent', args: ['train', '--out', 'run', '--dataset', 'idx:/nonexistent'], pattern: /dataset folder not found: \/nonexistent/ },
  { name: '--dataset foo', args: ['train', '--out', 'run', '--dataset', 'foo'], pattern: /unknown dataset "foo"/ },
  {
    name: 'IDX file with a wrong magic number',
    setup: (dir) => writeSmallIdx(join(dir, 'data'), { 'train-images-idx3-ubyte': idxImages(6, { magic: 0x00000d03 }) }),
    args: ['train', '--epochs', '1', '--hidden', '8', '--latent', '2', '--out', 'run', '--dataset', 'idx:data'],
    pattern: /train-images-idx3-ubyte.*magic number 0x00000d03/,
  },
  {
    name: 'IDX file with truncated image data',
    setup: (dir) => writeSmallIdx(join(dir, 'data'), { 't10k-images-idx3-ubyte': idxImages(4, { dropBytes: 100 }) }),
    args: ['train', '--epochs', '1', '--hidden', '8', '--latent', '2', '--out', 'run', '--dataset', 'idx:data'],
    pattern: /t10k-images-idx3-ubyte.*truncated/,
  },
  {
    name: 'IDX image and label counts that differ',
    setup: (dir) => writeSmallIdx(join(dir, 'data'), { 'train-labels-idx1-ubyte': idxLabels(5) }),
    args: ['train', '--epochs', '1', '--hidden', '8', '--latent', '2', '--out', 'run', '--dataset', 'idx:data'],
    pattern: /has 6 images but .*train-labels-idx1-ubyte has 5 labels/,
  },
  {
    name: 'train --resume on an empty folder',
    setup: (dir) => mkdirSync(join(dir, 'empty')),
    args: ['train', '--resume', 'empty'],
    pattern: /no checkpoint in empty/,
  },
  {
    name: 'eval --checkpoint on an empty folder',
    setup: (dir) => mkdirSync(join(dir, 'empty')),
    args: ['eval', '--checkpoint', 'empty'],
    pattern: /no checkpoint in empty/,
  },
  {
    name: 'sample --checkpoint on an empty folder',
    setup: (dir) => mkdirSync(join(dir, 'empty')),
    args: ['sample', '--checkpoint', 'empty', '--out', 'x.png'],
    pattern: /no checkpoint in empty/,
  },
  {
    name: 'reconstruct --checkpoint that does not exist',
    args: ['reconstruct', '--checkpoint', 'nowhere', '--out', 'x.png'],
    pattern: /no such checkpoint or run folder: nowhere/,
  },
  {
    name: 'eval of a truncated checkpoint',
    setup: (dir) => {
      mkdirSync(join(dir, 'corrupt'));
      const bytes = readFileSync(join(runDir, 'checkpoint.safetensors'));
      writeFileSync(join(dir, 'corrupt', 'checkpoint.safetensors'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    },
    args: ['eval', '--checkpoint', 'corrupt'],
    pattern: /not a valid safetensors file.*truncated/,
  },
  {
    name: 'sample from a truncated checkpoint',
    setup: (dir) => {
      mkdirSync(join(dir, 'corrupt'));
      const bytes = readFileSync(join(runDir, 'checkpoint.safetensors'));
      writeFileSync(join(dir, 'corrupt', 'checkpoint.safetensors'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    },
    args: ['sample', '--checkpoint', 'corrupt', '--out', 'x.png'],
    pattern: /not a valid safetensors file/,
  },
  {
    name: 'eval of a checkpoint whose config does not match its weights',
    setup: (dir) => writeIncompatibleCheckpoint(join(dir, 'incompatible')),
    args: ['eval', '--checkpoint', 'incompatible'],
    pattern: /checkpoint .* is not usable: tensor \S+ has shape \[.*\], the model config needs \[.*\]/,
  },
  {
    name: 'train --resume of a checkpoint whose config does not match its weights',
    setup: (dir) => writeIncompatibleCheckpoint(join(dir, 'incompatible')),
    args: ['train', '--resume', 'incompatible', '--epochs', '3'],
    pattern: /is not usable: tensor .* has shape/,
  },
  {
    name: 'train --out under a regular file',
    setup: (dir) => writeFileSync(join(dir, 'somefile'), 'not a folder\n'),
    args: ['train', ...TINY, '--out', 'somefile/run'],
    pattern: /cannot write to output folder somefile\/run/,
  },
  {
    name: 'sample --out under a regular file',
    setup: (dir) => writeFileSync(join(dir, 'somefile'), 'not a folder\n'),
    args: () => ['sample', '--checkpoint', runDir, '-n', '4', '--out', 'somefile/x.png'],
    pattern: /cannot write somefile\/x\.png/,
  },
  {
    name: 'sample --out that is not a .png',
    args: () => ['sample', '--checkpoint', runDir, '-n', '4', '--out', 'x.txt'],
    pattern: /--out must name a \.png file, got x\.txt/,
  },
  {
    name: 'reconstruct --out that is not a .png',
    args: () => ['reconstruct', '--checkpoint', runDir, '-n', '4', '--out', 'x.jpg'],
    pattern: /--out must name a \.png file, got x\.jpg/,
  },
  {
    name: 'train --out a folder that already holds a checkpoint',
    setup: (dir) => cpSync(runDir, join(dir, 'existing'), { recursive: true }),
    args: ['train', ...TINY, '--out', 'existing'],
    pattern: /existing already holds a run; continue it with --resume existing/,
  },
  {
    name: 'train --resume with a changed setting',
    setup: (dir) => cpSync(runDir, join(dir, 'prev'), { recursive: true }),
    args: ['train', '--resume', 'prev', '--latent', '5', '--epochs', '3'],
    pattern: /--latent cannot be changed when resuming/,
  },
  {
    name: 'train --resume with a changed setting given as --flag=value',
    setup: (dir) => cpSync(runDir, join(dir, 'prev'), { recursive: true }),
    args: ['train', '--resume', 'prev', '--lr=0.01', '--epochs', '3'],
    pattern: /--lr cannot be changed when resuming/,
  },
  {
    name: 'train --resume with a learning-rate schedule',
    setup: (dir) => cpSync(runDir, join(dir, 'prev'), { recursive: true }),
    args: ['train', '--resume', 'prev', '--lr-schedule', 'cosine', '--epochs', '3'],
    pattern: /--lr-schedule cannot be changed when resuming/,
  },
  { name: '--lr-min without the cosine schedule', args: ['train', '--out', 'run', '--lr-min', '1e-5'], pattern: /--lr-min is where the cosine schedule ends; add --lr-schedule cosine/ },
  { name: '--lr-min above --lr', args: ['train', ...DATA, '--out', 'run', '--lr-schedule', 'cosine', '--lr-min', '0.01'], pattern: /lr-min \(0\.01\) must not exceed lr \(0\.001\)/ },
  { name: 'an unknown --lr-schedule', args: ['train', '--out', 'run', '--lr-schedule', 'step'], pattern: /--lr-schedule must be one of constant, cosine/ },
  {
    name: 'train --resume of a run that already reached its epochs',
    setup: (dir) => cpSync(runDir, join(dir, 'prev'), { recursive: true }),
    args: ['train', '--resume', 'prev'],
    pattern: /already trained 1 of 1 epochs; pass --epochs N with N > 1/,
  },
  {
    name: 'train --resume --epochs at the epochs already reached',
    setup: (dir) => cpSync(runDir, join(dir, 'prev'), { recursive: true }),
    args: ['train', '--resume', 'prev', '--epochs', '1'],
    pattern: /already trained 1 of 1 epochs/,
  },
  {
    name: 'a model too large to allocate',
    args: ['train', '--train-size', '64', '--epochs', '1', ...DATA, '--out', 'run', '--hidden', '60000,60000'],
    pattern: /would have [\d,]{13,} parameters, more than the 100,000,000/,
  },
  { name: '--hidden beyond its range', args: ['train', '--out', 'run', '--hidden', '100000000'], pattern: /--hidden values must be <= 65536/ },
  {
    name: 'a checkpoint whose training config is out of range',
    setup: (dir) => rewriteCheckpointConfig(join(dir, 'badsize'), (c) => ((c as { training: { trainSize: number } }).training.trainSize = -5)),
    args: ['eval', '--checkpoint', 'badsize'],
    pattern: /is not usable: its config is invalid: train size must be an integer >= 1, got -5/,
  },
  { name: 'train --out under /proc', args: ['train', ...TINY, '--out', '/proc/vae-run'], pattern: /cannot write to output folder \/proc\/vae-run/ },
  { name: 'positional argument', args: ['eval', 'somewhere'], pattern: /unexpected argument "somewhere"/ },
  { name: 'eval without --checkpoint', args: ['eval'], pattern: /--checkpoint DIR is required/ },
];

/** A copy of the shared checkpoint in `dir` with its config changed by `change`, weights untouched. */
function rewriteCheckpointConfig(dir: string, change: (config: Record<string, unknown>) => void): void {
  mkdirSync(dir, { recursive: true });
  const { tensors, metadata } = decodeSafetensors(readFileSync(join(runDir, 'checkpoint.safetensors')));
  const config = JSON.parse(metadata.config!) as Record<string, unknown>;
  change(config);
  // An edited checkpoint no longer matches its checksum; these cases test what comes after it.
  delete metadata.checksum;
  writeFileSync(join(dir, 'checkpoint.safetensors'), encodeSafetensors(tensors, { ...metadata, config: JSON.stringify(config) }));
}

/** The shared checkpoint with its config's latent changed from 2 to 3. */
function writeIncompatibleCheckpoint(dir: string): void {
  rewriteCheckpointConfig(dir, (config) => {
    const model = config.model as { latent: number };
    assert.equal(model.latent, 2);
    model.latent = 3;
  });
}

describe('bad input exits 2 with one line and leaves the files as they were', () => {
  for (const c of badCases) {
    test(c.name, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      const dir = caseDir();
      c.setup?.(dir);
      const before = snapshot(dir);
      const args = typeof c.args === 'function' ? c.args(dir) : c.args;
      const r = await vae(args, dir);
      assertUserFailure(r, c.pattern);
      assert.deepEqual(tmpFiles(dir), [], 'temp files left behind');
      // No new file (no checkpoint, no half-written PNG, no run folder content) and no changed file:
      // in particular an existing checkpoint stays byte-identical.
      assert.deepEqual(snapshot(dir), before, 'the command changed files although it failed');
    });
  }

  test('the valid IDX folder used above does train (so each failure is due to its defect)', async () => {
    const dir = caseDir();
    writeSmallIdx(join(dir, 'data'));
    const r = await vaeOk(['train', '--epochs', '1', '--hidden', '8', '--latent', '2', '--out', 'run', '--dataset', 'idx:data'], dir);
    assert.match(r.stdout, /6 train \/ 4 test images of 28x28/);
    assert.ok(existsSync(join(dir, 'run', 'checkpoint.safetensors')));
  });

  test('the program itself (main.js in a process): a user error exits 2 with one line, --help exits 0', () => {
    // Every other case runs in-process; this one checks the thin entry that turns the result into the exit code.
    assertUserFailure(vaeProcess(['train', '--epochs', '0'], root), /--epochs must be >= 1, got 0/);
    const help = vaeProcess(['--help'], root);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: vae <command>/);
  });

  test('vae with no command prints usage to stderr and exits 2', async () => {
    const r = await vae([], root);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage: vae <command>/);
    assert.equal(r.stdout, '');
  });
});

// --- good paths --------------------------------------------------------------------

function readPng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

/** Variance of the PNG's red channel (the images are gray). */
function pixelVariance(png: PNG): number {
  let sum = 0;
  let sumSq = 0;
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const v = png.data[i * 4]!;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** Grid geometry of src/viz/grid.ts: padding 2 around and between cells, 28x28 digits times scale. */
function gridSize(rows: number, cols: number, scale = 2, padding = 2): { width: number; height: number } {
  return { width: cols * 28 * scale + (cols + 1) * padding, height: rows * 28 * scale + (rows + 1) * padding };
}

interface MetricsLine {
  epoch: number;
  [key: string]: number;
}

function readMetricsFile(dir: string): MetricsLine[] {
  const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  assert.ok(text.endsWith('\n'), 'metrics.jsonl must end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as MetricsLine);
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12),
    `${what}: ${actual} vs ${expected} (relative tolerance ${rel})`,
  );
}

describe('good paths', () => {
  test('vae --help and vae train --help exit 0 and list commands and flags', async () => {
    const top = await vaeOk(['--help'], root);
    for (const name of ['train', 'eval', 'sample', 'reconstruct']) assert.match(top.stdout, new RegExp(`^  ${name}\\b`, 'm'));
    assert.equal(top.stderr, '');
    const help = await vaeOk(['train', '--help'], root);
    assert.match(help.stdout, /^Usage: vae train \[options\]/);
    for (const flag of ['--dataset', '--latent', '--hidden', '--epochs', '--batch-size', '--lr', '--seed', '--binarize', '--train-size', '--test-size', '--out', '--resume', '--help']) {
      assert.ok(help.stdout.includes(flag), `train --help does not list ${flag}`);
    }
    assert.match(help.stdout, /--epochs <n>.*\(default: 10\)/);
    // --help wins even next to bad flags.
    await vaeOk(['sample', '--bogus', '--help'], root);
  });

  test('the run folder holds checkpoint, metrics, config and figures', async () => {
    for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'config.json', 'samples.png', 'reconstructions.png']) {
      assert.ok(existsSync(join(runDir, f)), `${f} is missing`);
    }
    assert.deepEqual(tmpFiles(runDir), []);

    const metrics = readMetricsFile(runDir);
    assert.equal(metrics.length, 1, 'one line per epoch');
    metrics.forEach((m, i) => {
      assert.equal(m.epoch, i + 1);
      for (const key of ['epoch', 'train_nelbo', 'test_nelbo', 'test_recon', 'test_kl', 'seconds', 'samples_per_sec']) {
        assert.equal(typeof m[key], 'number', `${key} is not a number`);
        assert.ok(Number.isFinite(m[key]), `${key} is not finite: ${m[key]}`);
      }
      assert.ok(m.test_nelbo! > 0 && m.test_recon! > 0 && m.test_kl! >= 0 && m.seconds! > 0 && m.samples_per_sec! > 0);
      assertClose(m.test_nelbo!, m.test_recon! + m.test_kl!, 1e-9, 'test_nelbo = test_recon + test_kl');
    });

    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.model.latent, 2);
    assert.deepEqual(config.model.hidden, [32]);
    assert.equal(config.training.epochs, 1);
    assert.equal(config.training.trainSize, 512);
    assert.equal(config.training.testSize, 256);

    const samples = readPng(join(runDir, 'samples.png'));
    assert.deepEqual({ width: samples.width, height: samples.height }, gridSize(8, 8)); // 64 samples, 8 columns
    assert.ok(pixelVariance(samples) > 0);
    const recon = readPng(join(runDir, 'reconstructions.png'));
    assert.deepEqual({ width: recon.width, height: recon.height }, gridSize(2, 16)); // 16 originals over 16 reconstructions
    assert.ok(pixelVariance(recon) > 0);
  });

  test(
    "eval --json on the shared run (trained with --test-size 256) reproduces its last epoch's test_nelbo",
    async () => {
      const r = await vaeOk(['eval', '--checkpoint', runDir, '--json'], root);
      const ev = JSON.parse(r.stdout);
      const last = readMetricsFile(runDir).at(-1)!;
      assert.equal(ev.examples, 256);
      assertClose(ev.test_nelbo, last.test_nelbo!, 1e-6, 'eval vs metrics test_nelbo');
    },
  );

  test('--kernels: the run header and config.json name the kernels; native and js runs agree to float rounding', async () => {
    const dir = caseDir();
    const byKernels = new Map<string, number>();
    for (const kernels of ['native', 'js']) {
      const r = await vaeOk(['train', ...TINY, '--kernels', kernels, '--out', kernels], dir);
      const config = JSON.parse(readFileSync(join(dir, kernels, 'config.json'), 'utf8'));
      if (kernels === 'native') {
        assert.match(config.kernels, /^native \((avx512|avx2|base), \d+ threads?\)$|^native \(openblas\)$/);
      } else {
        assert.equal(config.kernels, 'js');
      }
      assert.ok(r.stdout.includes(`kernels ${config.kernels}`), `header does not name the kernels:\n${r.stdout}`);
      byKernels.set(kernels, readMetricsFile(join(dir, kernels)).at(-1)!.test_nelbo!);
    }
    assertClose(byKernels.get('native')!, byKernels.get('js')!, 1e-4, 'test NELBO native vs js');
    // auto picks the native kernels when the addon is built, without a notice.
    const auto = await vaeOk(['eval', '--checkpoint', 'native', '--json'], dir);
    assert.equal(auto.stderr, '');
  });

  test("eval --json reproduces the last epoch's test metrics (run on the full test set); plain eval prints the number", async () => {
    const dir = caseDir();
    await vaeOk(['train', '--train-size', '512', '--epochs', '1', '--hidden', '32', '--latent', '2', ...DATA, '--out', 'full'], dir);
    const r = await vaeOk(['eval', '--checkpoint', 'full', '--json'], dir);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `expected one JSON line, got:\n${r.stdout}`);
    const ev = JSON.parse(lines[0]!);
    for (const key of ['test_nelbo', 'test_recon', 'test_kl']) assert.ok(Number.isFinite(ev[key]), `${key} missing or not finite`);
    const last = readMetricsFile(join(dir, 'full')).at(-1)!;
    assertClose(ev.test_nelbo, last.test_nelbo!, 1e-6, 'test_nelbo');
    assertClose(ev.test_recon, last.test_recon!, 1e-6, 'test_recon');
    assertClose(ev.test_kl, last.test_kl!, 1e-6, 'test_kl');
    assert.equal(ev.epoch, 1);

    const plain = await vaeOk(['eval', '--checkpoint', 'full'], dir);
    assert.ok(plain.stdout.includes(ev.test_nelbo.toFixed(2)), `plain eval does not print ${ev.test_nelbo.toFixed(2)}:\n${plain.stdout}`);
    assert.match(plain.stdout, /NELBO/);
  });

  test('sample writes a 4-column grid that is not blank; same seed same bytes, other seed other bytes', async () => {
    const dir = caseDir();
    const s = await vaeOk(['sample', '--checkpoint', runDir, '-n', '10', '--out', 's.png'], dir);
    assert.match(s.stdout, /wrote 10 samples to s\.png/);
    const png = readPng(join(dir, 's.png'));
    assert.deepEqual({ width: png.width, height: png.height }, gridSize(3, 4)); // 10 samples: 4 columns, 3 rows
    assert.ok(pixelVariance(png) > 0, 'the sample grid is blank');

    await vaeOk(['sample', '--checkpoint', runDir, '-n', '10', '--out', 'again.png'], dir);
    assert.ok(readFileSync(join(dir, 's.png')).equals(readFileSync(join(dir, 'again.png'))), 'default seed is not reproducible');
    await vaeOk(['sample', '--checkpoint', runDir, '-n', '10', '--seed', '7', '--out', 'a7.png'], dir);
    await vaeOk(['sample', '--checkpoint', runDir, '-n', '10', '--seed', '7', '--out', 'b7.png'], dir);
    await vaeOk(['sample', '--checkpoint', runDir, '-n', '10', '--seed', '8', '--out', 'c8.png'], dir);
    const a7 = readFileSync(join(dir, 'a7.png'));
    assert.ok(a7.equals(readFileSync(join(dir, 'b7.png'))), 'same seed gave different bytes');
    assert.ok(!a7.equals(readFileSync(join(dir, 'c8.png'))), 'different seeds gave the same bytes');

    // --out into a folder that does not exist yet creates it.
    await vaeOk(['sample', '--checkpoint', runDir, '-n', '1', '--scale', '1', '--out', join('deep', 'er', 'one.png')], dir);
    const one = readPng(join(dir, 'deep', 'er', 'one.png'));
    assert.deepEqual({ width: one.width, height: one.height }, gridSize(1, 1, 1));
    // A checkpoint file works as well as its folder.
    await vaeOk(['sample', '--checkpoint', join(runDir, 'checkpoint.safetensors'), '-n', '10', '--out', 'byfile.png'], dir);
    assert.ok(readFileSync(join(dir, 'byfile.png')).equals(readFileSync(join(dir, 's.png'))));
    assert.deepEqual(tmpFiles(dir), []);
  });

  test('reconstruct -n 8 gives 2 rows of 8 digits', async () => {
    const dir = caseDir();
    const r = await vaeOk(['reconstruct', '--checkpoint', runDir, '-n', '8', '--out', 'r.png'], dir);
    assert.match(r.stdout, /wrote 8 originals and reconstructions to r\.png/);
    const png = readPng(join(dir, 'r.png'));
    assert.deepEqual({ width: png.width, height: png.height }, gridSize(2, 8));
    assert.ok(pixelVariance(png) > 0);
    // The top row holds the originals: its first cell is the first test image, which is not uniform.
    // The bottom row holds reconstructions, which differ from the originals.
    const cell = (row: number): number[] => {
      const out: number[] = [];
      const { width } = png;
      const x0 = 2;
      const y0 = 2 + row * (56 + 2);
      for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) out.push(png.data[((y0 + y) * width + x0 + x) * 4]!);
      return out;
    };
    assert.notDeepEqual(cell(0), cell(1));
  });
});

// --- resume determinism ------------------------------------------------------------

describe('resume via the CLI', () => {
  test('1 epoch then --resume --epochs 3 equals 3 epochs straight', async () => {
    const dir = caseDir();
    const flags = ['--train-size', '512', '--test-size', '256', '--hidden', '32', '--latent', '2', '--binarize', 'dynamic', ...DATA];
    await vaeOk(['train', ...flags, '--epochs', '3', '--out', 'A'], dir);
    await vaeOk(['train', ...flags, '--epochs', '1', '--out', 'B'], dir);
    const resumed = await vaeOk(['train', '--resume', 'B', '--epochs', '3'], dir);
    assert.match(resumed.stdout, /resuming after epoch 1/);

    const a = readMetricsFile(join(dir, 'A'));
    const b = readMetricsFile(join(dir, 'B'));
    assert.equal(a.length, 3);
    assert.equal(b.length, 3);
    const strip = (m: MetricsLine): Record<string, number> => {
      const { seconds: _s, samples_per_sec: _r, ...rest } = m;
      return rest;
    };
    assert.deepEqual(b.map(strip), a.map(strip));

    const ca = decodeSafetensors(readFileSync(join(dir, 'A', 'checkpoint.safetensors')));
    const cb = decodeSafetensors(readFileSync(join(dir, 'B', 'checkpoint.safetensors')));
    assert.deepEqual(Object.keys(cb.tensors).sort(), Object.keys(ca.tensors).sort());
    for (const [name, t] of Object.entries(ca.tensors)) {
      const u = cb.tensors[name]!;
      assert.deepEqual(u.shape, t.shape, `${name} shape`);
      assert.ok(Buffer.from(u.data.buffer).equals(Buffer.from(t.data.buffer)), `tensor ${name} differs`);
    }
    // The metadata too: epoch, optimizer step, generator state, and the config, whose epochs the resume set to 3.
    assert.deepEqual(cb.metadata, ca.metadata);
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'B', 'config.json'), 'utf8')),
      JSON.parse(readFileSync(join(dir, 'A', 'config.json'), 'utf8')),
    );
    assert.deepEqual(tmpFiles(dir), []);
  });
});

// --- interrupt ---------------------------------------------------------------------

describe('interrupt', () => {
  test('SIGINT stops training with code 130, a --resume hint, and a usable checkpoint', async () => {
    const dir = caseDir();
    // Enough epochs that training is still running when the signal arrives.
    const data = writeIdxFolder(join(dir, 'data'), { train: 4000, test: 256 });
    const child = startVae(['train', '--dataset', `idx:${data}`, '--epochs', '1000', '--hidden', '64', '--latent', '2', '--out', 'run'], dir);
    const metricsPath = join(dir, 'run', 'metrics.jsonl');
    const deadline = Date.now() + 40_000;
    try {
      for (;;) {
        if (existsSync(metricsPath) && readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l !== '').length >= 1) break;
        if (child.child.exitCode !== null) assert.fail(`training ended before its first epoch:\n${child.output()}`);
        if (Date.now() > deadline) assert.fail('no epoch completed within 40 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const timeout = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
      const code = await child.stop();
      clearTimeout(timeout);
      assert.equal(child.child.signalCode, null, `killed by ${child.child.signalCode}:\n${child.output()}`);
      assert.equal(code, 130, `exit code ${code}:\n${child.output()}`);
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
    }
    const stderr = child.stderr();
    assert.match(stderr, /interrupted during epoch \d+/);
    assert.match(stderr, /vae train --resume run/);
    assert.ok(!stderr.includes('    at '), stderr);
    assert.deepEqual(tmpFiles(dir), []);

    const done = readMetricsFile(join(dir, 'run'));
    const ev = JSON.parse((await vaeOk(['eval', '--checkpoint', 'run', '--json'], dir)).stdout);
    assert.equal(ev.epoch, done.length, 'the checkpoint is of the last logged epoch');
    assert.ok(Number.isFinite(ev.test_nelbo));
    assert.ok(done.length < 1000);
  });
});
