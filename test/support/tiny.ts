/**
 * The tiny run that tests share, so that a test says what it checks, not how big its model is.
 *
 *   TINY_FLAGS              `vae train` flags for a run of a second or two: 256 train / 128 test
 *                           images, one epoch, one hidden layer of 32, latent 2.
 *   tinyConfig()            the same run as a RunConfig, for library-level tests (a fresh copy).
 *   writeIdxFolder(dir, o)  a small MNIST-shaped dataset in the four IDX files (default 200 train
 *                           and 50 test 28x28 images of a fixed pattern, labels 0-9), for
 *                           `--dataset idx:DIR`: loads in milliseconds where MNIST takes seconds.
 *                           `override` replaces whole files, to plant one defect.
 *   idxImages(n, o) / idxLabels(n)   the bytes of one images / labels file.
 *   tempRoot(name)          a fresh folder under the system's temp folder; remove it in after().
 *   mnistOnce()             MNIST, loaded once per test file (a load costs a second or two);
 *                           callers must not change its arrays.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRunConfig, type RunConfig } from '../../src/train/config.js';
import { loadMnist } from '../../src/data/mnist.js';
import type { DataSplits } from '../../src/data/dataset.js';

export const TINY_FLAGS: readonly string[] = ['--train-size', '256', '--test-size', '128', '--epochs', '1', '--hidden', '32', '--latent', '2'];

export function tinyConfig(): RunConfig {
  const config = defaultRunConfig();
  config.model.hidden = [32];
  config.model.latent = 2;
  config.training.epochs = 1;
  config.training.trainSize = 256;
  config.training.testSize = 128;
  return config;
}

export function tempRoot(name: string): string {
  return mkdtempSync(join(tmpdir(), `vae-${name}-`));
}

export interface IdxImageOptions {
  /** Image side in pixels (default 28). */
  size?: number;
  /** A wrong magic number, to plant that defect. */
  magic?: number;
  /** Bytes cut off the end, to plant a truncated file. */
  dropBytes?: number;
}

/** An IDX3 images file of `n` square images whose pixels vary within and across images. */
export function idxImages(n: number, opts: IdxImageOptions = {}): Buffer {
  const size = opts.size ?? 28;
  const header = Buffer.alloc(16);
  header.writeUInt32BE(opts.magic ?? 0x00000803, 0);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(size, 8);
  header.writeUInt32BE(size, 12);
  const data = Buffer.alloc(n * size * size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) & 0xff;
  const full = Buffer.concat([header, data]);
  return full.subarray(0, full.length - (opts.dropBytes ?? 0));
}

/** An IDX1 labels file of `n` labels cycling through 0-9. */
export function idxLabels(n: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(n, 4);
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = i % 10;
  return Buffer.concat([header, data]);
}

export interface IdxFolderOptions {
  train?: number;
  test?: number;
  size?: number;
  /** File name -> bytes, replacing the generated file. */
  override?: Partial<Record<string, Buffer>>;
}

/** A folder with the four MNIST-named IDX files; returns `dir`. */
export function writeIdxFolder(dir: string, opts: IdxFolderOptions = {}): string {
  const train = opts.train ?? 200;
  const test = opts.test ?? 50;
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Buffer | undefined> = {
    'train-images-idx3-ubyte': idxImages(train, { size: opts.size }),
    'train-labels-idx1-ubyte': idxLabels(train),
    't10k-images-idx3-ubyte': idxImages(test, { size: opts.size }),
    't10k-labels-idx1-ubyte': idxLabels(test),
    ...opts.override,
  };
  for (const [name, bytes] of Object.entries(files)) if (bytes !== undefined) writeFileSync(join(dir, name), bytes);
  return dir;
}

let mnist: DataSplits | null = null;

export function mnistOnce(): DataSplits {
  mnist ??= loadMnist();
  return mnist;
}
