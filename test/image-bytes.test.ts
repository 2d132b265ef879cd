/**
 * Images are held as bytes and become floats a batch at a time. Every batch must be what the
 * float datasets gave before (same scaling, same binarization draws, same dequantization),
 * so runs keep their numbers; and a run keeps what its data are (shape, class names).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/random.js';
import { batches, type Batch, type BatchOptions } from '../src/data/batches.js';
import {
  BYTE_TO_UNIT,
  DIGIT_CLASSES,
  datasetFloats,
  imageFloats,
  subset,
  valuesPerImage,
  type DataSplits,
  type ImageDataset,
} from '../src/data/dataset.js';
import { loadMnist } from '../src/data/mnist.js';
import { packImages, packedToDataset, unpackImages } from '../src/data/packed-images.js';
import { createTrainingState, decodeCheckpoint, encodeCheckpoint } from '../src/train/checkpoint.js';
import { dataDescriptionOf, defaultRunConfig, runDataConfig, type RunConfig } from '../src/train/config.js';
import { UserError } from '../src/errors.js';

/**
 * The batches as they were made when datasets held float32 pixels (b / 255): gathered, then
 * binarized pixel by pixel against those floats, or dequantized from round(255 x). Kept
 * here as the reference the byte pipeline must match.
 */
function* floatBatches(images: Float32Array, labels: Uint8Array, count: number, pixels: number, batchSize: number, opts: BatchOptions): Generator<Batch> {
  const binRng = opts.binarize === 'dynamic' ? (opts.shuffle ?? opts.rng ?? null) : null;
  const deqRng = opts.dequantize === true ? (opts.shuffle ?? opts.rng ?? null) : null;
  const order = opts.shuffle ? opts.shuffle.permutation(count) : null;
  const full = Math.min(batchSize, count);
  const xBuf = new Float32Array(full * pixels);
  const labelBuf = new Uint8Array(full);
  for (let start = 0, index = 0; start < count; start += batchSize, index++) {
    const size = Math.min(batchSize, count - start);
    const x = size === full ? xBuf : xBuf.subarray(0, size * pixels);
    const lab = size === full ? labelBuf : labelBuf.subarray(0, size);
    if (order === null) {
      x.set(images.subarray(start * pixels, (start + size) * pixels));
      lab.set(labels.subarray(start, start + size));
    } else {
      for (let b = 0; b < size; b++) {
        const i = order[start + b]!;
        x.set(images.subarray(i * pixels, (i + 1) * pixels), b * pixels);
        lab[b] = labels[i]!;
      }
    }
    if (binRng !== null) for (let k = 0; k < x.length; k++) x[k] = binRng.uniform() < x[k]! ? 1 : 0;
    if (deqRng !== null) for (let k = 0; k < x.length; k++) x[k] = (Math.round(x[k]! * 255) + deqRng.uniform()) / 256;
    yield { x, labels: lab, size, index };
  }
}

describe('batches of bytes', () => {
  let mnist: DataSplits;
  let small: ImageDataset;
  let floats: Float32Array;
  before(() => {
    mnist = loadMnist();
    small = subset(mnist.train, 700);
    floats = new Float32Array(small.pixels.length);
    for (let i = 0; i < floats.length; i++) floats[i] = small.pixels[i]! / 255;
  });

  test('MNIST is held as bytes: a view of its files, a quarter of float32', () => {
    assert.ok(mnist.train.pixels instanceof Uint8Array);
    assert.equal(mnist.train.pixels.byteLength, 60000 * 784);
    assert.equal(mnist.train.channels, 1);
    assert.deepEqual(mnist.train.description, { classNames: [...DIGIT_CLASSES], noun: 'digit' });
  });

  const cases: [string, (seed: number) => BatchOptions][] = [
    ['in order', () => ({ shuffle: null, binarize: 'none' })],
    ['shuffled', (seed) => ({ shuffle: new Random(seed), binarize: 'none' })],
    ['shuffled and binarized', (seed) => ({ shuffle: new Random(seed), binarize: 'dynamic' })],
    ['binarized in order', (seed) => ({ shuffle: null, binarize: 'dynamic', rng: new Random(seed) })],
    ['shuffled and dequantized', (seed) => ({ shuffle: new Random(seed), binarize: 'none', dequantize: true })],
    ['dequantized in order', (seed) => ({ shuffle: null, binarize: 'none', rng: new Random(seed), dequantize: true })],
  ];
  for (const [name, options] of cases) {
    test(`${name}: every batch of three epochs equals the float pipeline's, bit for bit`, () => {
      const ours = options(41);
      const theirs = options(41);
      for (let epoch = 0; epoch < 3; epoch++) {
        // Short last batch included: 700 = 5 x 128 + 60.
        const a = [...mapCopies(batches(small, 128, ours))];
        const b = [...mapCopies(floatBatches(floats, small.labels, small.count, 784, 128, theirs))];
        assert.equal(a.length, 6);
        assert.equal(a.length, b.length);
        a.forEach((batch, i) => {
          assert.deepEqual(batch.labels, b[i]!.labels, `epoch ${epoch} batch ${i} labels`);
          assert.ok(sameFloats(batch.x, b[i]!.x), `epoch ${epoch} batch ${i}: pixels differ`);
        });
      }
    });
  }

  test('colour images are served CHW per image, scaled like grey ones', () => {
    const ds: ImageDataset = {
      name: 'rgb',
      pixels: Uint8Array.from({ length: 4 * 3 * 2 * 2 }, (_, k) => (k * 37) % 256),
      labels: Uint8Array.from([0, 1, 2, 3]),
      count: 4,
      channels: 3,
      height: 2,
      width: 2,
      description: { classNames: ['a', 'b', 'c', 'd'], noun: 'image' },
    };
    assert.equal(valuesPerImage(ds), 12);
    const rng = new Random(2);
    const [batch] = [...mapCopies(batches(ds, 4, { shuffle: rng, binarize: 'none' }))];
    for (let b = 0; b < 4; b++) {
      const label = batch!.labels[b]!;
      assert.deepEqual(Array.from(batch!.x.subarray(b * 12, (b + 1) * 12)), Array.from(imageFloats(ds, label)));
    }
  });
});

function* mapCopies(gen: Generator<Batch>): Generator<Batch> {
  for (const b of gen) yield { ...b, x: b.x.slice(), labels: b.labels.slice() };
}

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('bytes to floats', () => {
  const ds: ImageDataset = {
    name: 'ramp',
    pixels: Uint8Array.from({ length: 256 }, (_, i) => i),
    labels: new Uint8Array(4),
    count: 4,
    channels: 1,
    height: 8,
    width: 8,
    description: { classNames: [], noun: 'image' },
  };

  test('each byte b becomes the float32 nearest b / 255, ends exact', () => {
    const all = datasetFloats(ds);
    assert.equal(all.length, 256);
    for (let b = 0; b < 256; b++) assert.equal(all[b], Math.fround(b / 255));
    assert.equal(all[0], 0);
    assert.equal(all[255], 1);
    assert.equal(BYTE_TO_UNIT[128], Math.fround(128 / 255));
    assert.deepEqual(Array.from(imageFloats(ds, 2)), Array.from(all.subarray(128, 192)));
    assert.equal(datasetFloats(ds, 1).length, 64);
    assert.throws(() => imageFloats(ds, 4), RangeError);
  });

  test('subset keeps views of the bytes', () => {
    const s = subset(ds, 2);
    assert.equal(s.pixels.buffer, ds.pixels.buffer);
    assert.equal(s.pixels.length, 128);
    assert.equal(s.description, ds.description);
  });

  test('packed images for the page round-trip colour bytes', () => {
    const pixels = Uint8Array.from({ length: 2 * 3 * 4 * 5 }, (_, k) => (k * 11) % 256);
    const packed = unpackImages(packImages({ count: 2, height: 4, width: 5, channels: 3, labels: Uint8Array.from([1, 0]), pixels }));
    const back = packedToDataset('page', packed, undefined, { classNames: ['x', 'y'], noun: 'image' });
    assert.deepEqual([back.count, back.channels, back.height, back.width], [2, 3, 4, 5]);
    assert.deepEqual(Array.from(back.pixels), Array.from(pixels));
    assert.deepEqual(packedToDataset('digits', { ...packed, labels: Uint8Array.from([9, 0]) }).description, { classNames: [...DIGIT_CLASSES], noun: 'digit' });
  });
});

describe("a run's data description", () => {
  const withData = (): RunConfig => ({
    ...defaultRunConfig(),
    data: { channels: 1, height: 28, width: 28, classNames: ['blue', 'red'], noun: 'image' },
  });

  test('is read from the config, or for older runs from the dataset they name', () => {
    assert.deepEqual(dataDescriptionOf(withData()), { classNames: ['blue', 'red'], noun: 'image' });
    const old = (dataset: string): RunConfig => ({ ...defaultRunConfig(), training: { ...defaultRunConfig().training, dataset } });
    assert.deepEqual(dataDescriptionOf(old('mnist')), { classNames: [...DIGIT_CLASSES], noun: 'digit' });
    assert.deepEqual(dataDescriptionOf(old('idx:/data/kmnist')), { classNames: [...DIGIT_CLASSES], noun: 'digit' });
    assert.equal(dataDescriptionOf(old('fashion-mnist')).classNames[9], 'Ankle boot');
    assert.equal(dataDescriptionOf(old('fashion-mnist')).noun, 'image');
    assert.deepEqual(dataDescriptionOf(old('folder:./shapes')), { classNames: [], noun: 'image' });
  });

  test('runDataConfig takes it from the data', () => {
    const mnist = loadMnist();
    assert.deepEqual(runDataConfig(mnist.test), { channels: 1, height: 28, width: 28, classNames: [...DIGIT_CLASSES], noun: 'digit' });
  });

  test('travels in the checkpoint, and a malformed one is refused', () => {
    const state = createTrainingState(withData());
    const back = decodeCheckpoint(encodeCheckpoint(state), 'x.safetensors');
    assert.deepEqual(back.config.data, withData().data);
    const bad = (data: unknown, pattern: RegExp): void => {
      const s = createTrainingState(withData());
      (s.config as { data: unknown }).data = data;
      assert.throws(() => decodeCheckpoint(encodeCheckpoint(s), 'bad.safetensors'), (err: unknown) => err instanceof UserError && pattern.test(err.message));
    };
    bad({ channels: 2, height: 28, width: 28, classNames: [], noun: 'image' }, /channels must be 1 or 3/);
    bad({ channels: 1, height: 28, width: 28, classNames: [3], noun: 'image' }, /classNames/);
    bad({ channels: 1, height: 28, width: 28, classNames: ['a', 'b'], noun: 'digit' }, /noun digit needs the classes 0\.\.9/);
  });
});
