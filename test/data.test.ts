import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../src/errors.js';
import { Random } from '../src/engine/random.js';
import { readIdxFile } from '../src/data/idx.js';
import { loadIdxFolder, loadMnist } from '../src/data/mnist.js';
import { loadDataset } from '../src/data/source.js';
import { datasetFloats, imageFloats, subset, valuesPerImage, type DataSplits, type ImageDataset } from '../src/data/dataset.js';
import { batches, numBatches, type Batch } from '../src/data/batches.js';

/** An unsigned-byte IDX file with the given shape and data. */
function idx(dims: number[], data: ArrayLike<number>, typeByte = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeByte;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Array.from(data))]);
}

function counts(labels: Uint8Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'message should be one line');
    return true;
  });
}

describe('MNIST', () => {
  let mnist: DataSplits;
  before(() => {
    mnist = loadDataset('mnist');
  });

  test('has the standard shapes', () => {
    assert.equal(mnist.name, 'mnist');
    for (const [split, n] of [[mnist.train, 60000], [mnist.test, 10000]] as const) {
      assert.equal(split.count, n);
      assert.equal(split.height, 28);
      assert.equal(split.width, 28);
      assert.equal(split.pixels.length, n * 784);
      assert.equal(split.channels, 1);
      assert.equal(split.labels.length, n);
    }
  });

  test('pixels are bytes that reach both ends', () => {
    for (const split of [mnist.train, mnist.test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of split.pixels) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      assert.equal(min, 0);
      assert.equal(max, 255);
    }
    assert.deepEqual(mnist.test.description, { classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], noun: 'digit' });
  });

  test('label counts match the published ones', () => {
    assert.deepEqual(counts(mnist.train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert.deepEqual(counts(mnist.test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  test('loadMnist gives the same data as the spec', () => {
    const again = loadMnist();
    assert.deepEqual(again.test.labels, mnist.test.labels);
    assert.equal(again.test.pixels[200 * 784 + 14 * 28 + 14], mnist.test.pixels[200 * 784 + 14 * 28 + 14]);
  });

  test('subset takes views of the first examples', () => {
    const s = subset(mnist.test, 100);
    assert.equal(s.count, 100);
    assert.equal(s.pixels.length, 100 * valuesPerImage(s));
    assert.equal(s.pixels.buffer, mnist.test.pixels.buffer);
    assert.deepEqual(s.labels, mnist.test.labels.slice(0, 100));
    assert.equal(subset(mnist.test, 1e9).count, 10000);
  });

  test('dynamic binarization of real digits keeps the mean intensity', () => {
    const s = subset(mnist.train, 2000);
    let pixelMean = 0;
    for (const v of s.pixels) pixelMean += v / 255;
    pixelMean /= s.pixels.length;
    let onesMean = 0;
    for (const b of batches(s, 500, { shuffle: new Random(3), binarize: 'dynamic' })) {
      for (const v of b.x) onesMean += v;
    }
    onesMean /= s.pixels.length;
    assert.ok(Math.abs(onesMean - pixelMean) < 0.002, `${onesMean} vs ${pixelMean}`);
  });
});

describe('IDX folders', () => {
  let root: string;
  // Three 2x3 training images, two test images.
  const trainPixels = Array.from({ length: 18 }, (_, i) => (i * 17) % 256);
  const testPixels = [0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 128];
  const trainLabels = [3, 1, 200];
  const testLabels = [0, 9];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'vae-data-test-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** Writes a dataset folder; `files` replaces a file's bytes, or drops it when null. */
  function folder(name: string, opts: { gzip?: boolean; dotted?: boolean; files?: Record<string, Buffer | null> } = {}): string {
    const dir = join(root, name);
    mkdirSync(dir);
    const files: Record<string, Buffer | null> = {
      'train-images-idx3-ubyte': idx([3, 2, 3], trainPixels),
      'train-labels-idx1-ubyte': idx([3], trainLabels),
      't10k-images-idx3-ubyte': idx([2, 2, 3], testPixels),
      't10k-labels-idx1-ubyte': idx([2], testLabels),
      ...opts.files,
    };
    for (const [file, bytes] of Object.entries(files)) {
      if (bytes === null) continue;
      let fname = opts.dotted ? file.replace(/-(idx\d-ubyte)$/, '.$1') : file;
      if (opts.gzip) fname += '.gz';
      writeFileSync(join(dir, fname), opts.gzip ? gzipSync(bytes) : bytes);
    }
    return dir;
  }

  function checkRoundTrip(ds: DataSplits): void {
    assert.equal(ds.train.count, 3);
    assert.equal(ds.test.count, 2);
    assert.equal(ds.train.height, 2);
    assert.equal(ds.train.width, 3);
    assert.deepEqual(Array.from(ds.train.pixels), trainPixels);
    assert.deepEqual(Array.from(ds.test.pixels), testPixels);
    assert.deepEqual(Array.from(datasetFloats(ds.test)), testPixels.map((p) => Math.fround(p / 255)));
    assert.deepEqual(Array.from(ds.train.labels), trainLabels);
    assert.deepEqual(Array.from(ds.test.labels), testLabels);
    assert.equal(imageFloats(ds.test, 0)[1], 1);
  }

  test('plain files round-trip through idx:DIR', () => {
    const dir = folder('plain');
    const ds = loadDataset(`idx:${dir}`);
    assert.equal(ds.name, 'plain');
    checkRoundTrip(ds);
  });

  test('gzipped and dotted files round-trip', () => {
    checkRoundTrip(loadDataset(`idx:${folder('gz', { gzip: true })}`));
    checkRoundTrip(loadIdxFolder(folder('dotted-gz', { gzip: true, dotted: true }), 'x'));
    checkRoundTrip(loadIdxFolder(folder('dotted', { dotted: true })));
  });

  test('gzip is detected by content, not by name', () => {
    const p = join(root, 'hidden-gzip');
    writeFileSync(p, gzipSync(idx([2, 2], [1, 2, 3, 4])));
    const f = readIdxFile(p);
    assert.deepEqual(f.dims, [2, 2]);
    assert.deepEqual(Array.from(f.data), [1, 2, 3, 4]);
  });

  test('wrong magic number', () => {
    const p = join(root, 'float-idx');
    writeFileSync(p, idx([4], [0, 0, 0, 0], 0x0a));
    throwsUserError(() => readIdxFile(p), /bad IDX file .*float-idx: magic number 0x00000a01/);
    const text = join(root, 'text');
    writeFileSync(text, 'hello world\n');
    throwsUserError(() => readIdxFile(text), /bad IDX file .*text: magic number 0x68656c6c/);
  });

  test('bad dimension count', () => {
    const p = join(root, 'five-dims');
    writeFileSync(p, idx([1, 1, 1, 1, 1], [7]));
    throwsUserError(() => readIdxFile(p), /five-dims: 5 dimensions/);
  });

  test('truncated data and header', () => {
    const p = join(root, 'short-file');
    writeFileSync(p, idx([10], [1, 2, 3]));
    throwsUserError(() => readIdxFile(p), /short-file: truncated: shape 10 needs 10 data bytes, found 3$/);
    writeFileSync(p, idx([10, 10, 10], []).subarray(0, 9));
    throwsUserError(() => readIdxFile(p), /short-file: header cut short/);
    writeFileSync(p, Buffer.from([0, 0]));
    throwsUserError(() => readIdxFile(p), /short-file: only 2 bytes/);
  });

  test('trailing data', () => {
    const p = join(root, 'long-file');
    writeFileSync(p, idx([2], [1, 2, 3]));
    throwsUserError(() => readIdxFile(p), /long-file: trailing bytes: shape 2 needs 2 data bytes, found 3$/);
  });

  test('corrupt gzip', () => {
    const p = join(root, 'corrupt.gz');
    const gz = gzipSync(idx([100], new Array<number>(100).fill(5)));
    writeFileSync(p, gz.subarray(0, gz.length - 10));
    throwsUserError(() => readIdxFile(p), /bad gzip file .*corrupt\.gz/);
  });

  test('missing file', () => {
    throwsUserError(() => readIdxFile(join(root, 'nope')), /^no such file: .*nope$/);
    const dir = folder('missing', { files: { 't10k-labels-idx1-ubyte': null } });
    throwsUserError(() => loadIdxFolder(dir), /missing t10k-labels-idx1-ubyte/);
  });

  test('missing folder', () => {
    throwsUserError(() => loadDataset(`idx:${join(root, 'absent')}`), /^dataset folder not found: .*absent$/);
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    throwsUserError(() => loadIdxFolder(file), /dataset folder not found/);
  });

  test('image and label counts must agree', () => {
    const dir = folder('mismatch', { files: { 'train-labels-idx1-ubyte': idx([2], [1, 2]) } });
    throwsUserError(() => loadIdxFolder(dir), /train-images-idx3-ubyte has 3 images but .*train-labels-idx1-ubyte has 2 labels/);
  });

  test('images must be 3-D and labels 1-D', () => {
    const flat = folder('flat-images', { files: { 't10k-images-idx3-ubyte': idx([2, 6], testPixels) } });
    throwsUserError(() => loadIdxFolder(flat), /expected 3 dimensions.*shape 2x6/);
    const grid = folder('grid-labels', { files: { 'train-labels-idx1-ubyte': idx([3, 1], trainLabels) } });
    throwsUserError(() => loadIdxFolder(grid), /expected 1 dimension.*shape 3x1/);
  });

  test('unknown spec', () => {
    throwsUserError(() => loadDataset('cifar'), /^unknown dataset "cifar" \(expected mnist, fashion-mnist, emoji, idx:DIR or folder:DIR\)$/);
    throwsUserError(() => loadDataset('idx:'), /needs a folder/);
  });
});

describe('batches', () => {
  // 23 tiny 1x2 images whose pixels encode their index, so order can be read back from x.
  const count = 23;
  const ds: ImageDataset = {
    name: 'toy',
    pixels: Uint8Array.from({ length: count * 2 }, (_, k) => Math.floor(k / 2)),
    labels: Uint8Array.from({ length: count }, (_, i) => i),
    count,
    channels: 1,
    height: 1,
    width: 2,
    description: { classNames: [], noun: 'image' },
  };

  function epochOrder(gen: Generator<Batch>): number[] {
    const seen: number[] = [];
    for (const b of gen) {
      for (let j = 0; j < b.size; j++) {
        const fromPixels = Math.round(b.x[2 * j]! * 255);
        assert.equal(fromPixels, b.labels[j], 'pixels and label come from the same example');
        seen.push(b.labels[j]!);
      }
    }
    return seen;
  }

  test('numBatches', () => {
    assert.equal(numBatches(23, 5), 5);
    assert.equal(numBatches(20, 5), 4);
    assert.equal(numBatches(0, 5), 0);
  });

  test('in order, every example once, short last batch', () => {
    const sizes: number[] = [];
    const indices: number[] = [];
    const seen: number[] = [];
    for (const b of batches(ds, 5, { shuffle: null, binarize: 'none' })) {
      sizes.push(b.size);
      indices.push(b.index);
      assert.equal(b.x.length, b.size * 2);
      assert.equal(b.labels.length, b.size);
      seen.push(...b.labels);
    }
    assert.deepEqual(sizes, [5, 5, 5, 5, 3]);
    assert.deepEqual(indices, [0, 1, 2, 3, 4]);
    assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i));
  });

  test('shuffled epochs cover every example once, in a new order each epoch', () => {
    const rng = new Random(7);
    const e1 = epochOrder(batches(ds, 5, { shuffle: rng, binarize: 'none' }));
    const e2 = epochOrder(batches(ds, 5, { shuffle: rng, binarize: 'none' }));
    const all = Array.from({ length: count }, (_, i) => i);
    assert.deepEqual([...e1].sort((a, b) => a - b), all);
    assert.deepEqual([...e2].sort((a, b) => a - b), all);
    assert.notDeepEqual(e1, all);
    assert.notDeepEqual(e1, e2);
  });

  test('shuffling is determined by the seed', () => {
    const run = (seed: number): number[][] => {
      const rng = new Random(seed);
      return [0, 1].map(() => epochOrder(batches(ds, 4, { shuffle: rng, binarize: 'none' })));
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11)[0], run(12)[0]);
    assert.notDeepEqual(run(11)[1], run(12)[1]);
  });

  test('a batch size larger than the dataset gives one batch', () => {
    const all = [...batches(ds, 100, { shuffle: null, binarize: 'none' })];
    assert.equal(all.length, 1);
    assert.equal(all[0]!.size, count);
  });

  test('bad arguments are rejected at the call', () => {
    assert.throws(() => batches(ds, 0, { shuffle: null, binarize: 'none' }), RangeError);
    assert.throws(() => batches(ds, 2.5, { shuffle: null, binarize: 'none' }), RangeError);
    assert.throws(() => batches(ds, 4, { shuffle: null, binarize: 'dynamic' }), /needs a random generator/);
  });

  test('dynamic binarization: 0/1 values with the right mean, fresh each epoch', () => {
    const levels = [0, 26, 128, 230, 255, 77];
    const probs = levels.map((b) => b / 255);
    const n = 1000;
    const grey: ImageDataset = {
      name: 'grey',
      pixels: Uint8Array.from({ length: n * probs.length }, (_, k) => levels[k % levels.length]!),
      labels: new Uint8Array(n),
      count: n,
      channels: 1,
      height: 2,
      width: 3,
      description: { classNames: [], noun: 'image' },
    };
    const rng = new Random(5);
    const sums = new Float64Array(probs.length);
    const epochs: Float32Array[] = [];
    for (let e = 0; e < 4; e++) {
      const copy = new Float32Array(grey.pixels.length);
      let offset = 0;
      for (const b of batches(grey, 64, { shuffle: null, binarize: 'dynamic', rng })) {
        for (let k = 0; k < b.x.length; k++) {
          const v = b.x[k]!;
          assert.ok(v === 0 || v === 1, `value ${v}`);
          sums[k % probs.length]! += v;
        }
        copy.set(b.x, offset);
        offset += b.x.length;
      }
      epochs.push(copy);
    }
    probs.forEach((p, j) => {
      const mean = sums[j]! / (4 * n);
      // 4000 draws: the standard error is at most 0.008.
      assert.ok(Math.abs(mean - p) < 0.04, `pixel ${j}: mean ${mean}, expected ${p}`);
    });
    assert.notDeepEqual(epochs[0], epochs[1]);
    // The source data is never overwritten.
    assert.equal(grey.pixels[2], 128);
  });

  test('binarization is reproducible from the seed', () => {
    const once = (seed: number): Float32Array => {
      const out: number[] = [];
      for (const b of batches(ds, 6, { shuffle: new Random(seed), binarize: 'dynamic' })) out.push(...b.x);
      return Float32Array.from(out);
    };
    assert.deepEqual(once(9), once(9));
    assert.notDeepEqual(once(9), once(10));
  });
});
