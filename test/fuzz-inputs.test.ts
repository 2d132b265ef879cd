/**
 * Seeded fuzzing of every input format the toolkit reads from disk: IDX (raw and gzipped),
 * checkpoints (safetensors), PNG and JPEG. Each mutant must either load to the same result
 * as the original or be refused with a one-line UserError; nothing else may escape, and no
 * input may take long. Where a format carries no integrity check (raw IDX pixels, JPEG
 * entropy data and tables), a changed value cannot be told from a real one: those mutants
 * may load to a different result, but never to a different shape, and truncations and
 * insertions must still be refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { UserError } from '../src/errors.js';
import { Random } from '../src/engine/random.js';
import { readIdxFile } from '../src/data/idx.js';
import { decodeImage } from '../src/data/folder.js';
import { crc32 } from '../src/io/crc32.js';
import { encodePng } from '../src/viz/png.js';
import { createTrainingState, decodeCheckpoint, encodeCheckpoint, type TrainingState } from '../src/train/checkpoint.js';
import { defaultRunConfig } from '../src/train/config.js';

const PER_FORMAT = 450;
/** Longest any single input may take to load or be refused. */
const SLOW_MS = 2000;

type Mutation = 'flip' | 'truncate' | 'insert' | 'header';
interface Mutant {
  bytes: Uint8Array;
  kind: Mutation;
  /** Whether only bytes of `region` were changed in place (the length is the same). */
  inPlace: boolean;
  /** Lowest byte position touched. */
  first: number;
}

/** One random mutation of `good`; header edits change bytes in [0, headerEnd). */
function mutate(good: Uint8Array, rng: Random, headerEnd: number): Mutant {
  const kinds: Mutation[] = ['flip', 'truncate', 'insert', 'header'];
  const kind = kinds[Math.floor(rng.uniform() * kinds.length)]!;
  const pick = (n: number) => Math.floor(rng.uniform() * n);
  if (kind === 'truncate') {
    const at = pick(good.length);
    return { bytes: good.slice(0, at), kind, inPlace: false, first: at };
  }
  if (kind === 'insert') {
    const at = pick(good.length + 1);
    const out = new Uint8Array(good.length + 1);
    out.set(good.subarray(0, at));
    out[at] = pick(256);
    out.set(good.subarray(at), at + 1);
    return { bytes: out, kind, inPlace: false, first: at };
  }
  const bytes = good.slice();
  let first = bytes.length;
  if (kind === 'flip') {
    const flips = 1 + pick(3);
    for (let i = 0; i < flips; i++) {
      const at = pick(bytes.length);
      bytes[at]! ^= 1 << pick(8);
      first = Math.min(first, at);
    }
  } else {
    // A header field set to a boundary value or a random byte.
    const at = pick(Math.min(headerEnd, bytes.length));
    const values = [0, 1, 0x7f, 0x80, 0xff, pick(256)];
    bytes[at] = values[pick(values.length)]!;
    first = at;
  }
  return { bytes, kind, inPlace: true, first };
}

function equalBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

interface Tally {
  refused: number;
  same: number;
  changed: number;
}

/**
 * Runs `load` on every mutant: a UserError of one line is a refusal; a result is compared
 * with the original's by `same`; `mayChange(m)` says whether a loaded result may differ.
 */
function fuzz<T>(
  name: string,
  good: Uint8Array,
  headerEnd: number,
  seed: number,
  load: (bytes: Uint8Array) => T,
  same: (a: T, b: T) => boolean,
  mayChange: (m: Mutant) => boolean,
): Tally {
  const original = load(good);
  const rng = new Random(seed);
  const tally: Tally = { refused: 0, same: 0, changed: 0 };
  for (let i = 0; i < PER_FORMAT; i++) {
    const m = mutate(good, rng, headerEnd);
    const t0 = performance.now();
    let result: T | undefined;
    try {
      result = load(m.bytes);
    } catch (err) {
      assert.ok(err instanceof UserError, `${name} #${i} (${m.kind} at ${m.first}): ${err instanceof Error ? err.stack : String(err)}`);
      assert.ok(!err.message.includes('\n'), `${name} #${i}: a message of more than one line: ${err.message}`);
      tally.refused++;
    }
    const ms = performance.now() - t0;
    assert.ok(ms < SLOW_MS, `${name} #${i} (${m.kind} at ${m.first}) took ${ms.toFixed(0)} ms`);
    if (result === undefined) continue;
    if (same(original, result)) tally.same++;
    else {
      assert.ok(mayChange(m), `${name} #${i}: a ${m.kind} at byte ${m.first} was accepted and loads differently`);
      tally.changed++;
    }
  }
  return tally;
}

let root: string;
let fileNo = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-fuzz-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes bytes to a fresh file with the given extension, for loaders that read paths. */
function onDisk(bytes: Uint8Array, ext: string): string {
  const path = join(root, `${fileNo++}${ext}`);
  writeFileSync(path, bytes);
  return path;
}

function idxImages(): Uint8Array {
  const count = 6;
  const side = 8;
  const b = new Uint8Array(16 + count * side * side);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x803);
  v.setUint32(4, count);
  v.setUint32(8, side);
  v.setUint32(12, side);
  for (let i = 16; i < b.length; i++) b[i] = (i * 31) % 256;
  return b;
}

const idxSame = (a: { dims: number[]; data: Uint8Array }, b: { dims: number[]; data: Uint8Array }) =>
  equalBytes(a.dims, b.dims) && equalBytes(a.data, b.data);

const tallies: Record<string, Tally> = {};

test('fuzzed raw IDX files: refused, or loaded with the same shape (pixel values carry no check)', () => {
  const good = idxImages();
  tallies.idx = fuzz('idx', good, 16, 101, (bytes) => readIdxFile(onDisk(bytes, '.idx')), idxSame, (m) => {
    // Only in-place changes of pixel bytes can load differently; the shape must hold.
    return m.inPlace && m.first >= 16;
  });
});

test('fuzzed gzipped IDX files: refused, or loaded exactly as the original (gzip checks its CRC)', () => {
  const good = new Uint8Array(gzipSync(idxImages()));
  tallies.gz = fuzz('idx.gz', good, 10, 202, (bytes) => readIdxFile(onDisk(bytes, '.gz')), idxSame, () => false);
});

function tinyState(): TrainingState {
  const c = defaultRunConfig();
  c.model = { ...c.model, inputDim: 16, imageHeight: 4, imageWidth: 4, hidden: [3], latent: 2 };
  const s = createTrainingState(c);
  s.epoch = 3;
  return s;
}

function stateSame(a: TrainingState, b: TrainingState): boolean {
  const oa = a.optimizer.getState();
  const ob = b.optimizer.getState();
  return (
    JSON.stringify(a.config) === JSON.stringify(b.config) &&
    a.epoch === b.epoch &&
    JSON.stringify(a.rng.getState()) === JSON.stringify(b.rng.getState()) &&
    oa.step === ob.step &&
    a.model.parameters().every(([, t], i) => equalBytes(t.data, b.model.parameters()[i]![1].data)) &&
    oa.m.every((m, i) => equalBytes(m, ob.m[i]!)) &&
    oa.v.every((v, i) => equalBytes(v, ob.v[i]!))
  );
}

test('fuzzed checkpoints: refused, or loaded exactly as the original (the checksum covers all)', () => {
  const good = encodeCheckpoint(tinyState());
  const headerEnd = 8 + new DataView(good.buffer, good.byteOffset).getUint32(0, true);
  tallies.checkpoint = fuzz('checkpoint', good, headerEnd, 303, (bytes) => decodeCheckpoint(bytes, 'fuzzed.safetensors'), stateSame, () => false);
});

function imageSame(a: { gray: Float32Array; width: number; height: number }, b: { gray: Float32Array; width: number; height: number }): boolean {
  return a.width === b.width && a.height === b.height && equalBytes(a.gray, b.gray);
}

test('fuzzed PNGs: refused, or loaded exactly as the original (chunk CRCs and zlib checks)', () => {
  const pixels = new Uint8Array(12 * 10 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 57) % 256;
  const good = encodePng({ width: 12, height: 10, channels: 3, pixels });
  tallies.png = fuzz('png', good, 33, 404, (bytes) => decodeImage(onDisk(bytes, '.png')), imageSame, () => false);
});

test('fuzzed PNG headers with valid CRCs: refused, or the image has the size its header says', () => {
  const pixels = new Uint8Array(12 * 10);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 57) % 256;
  const good = encodePng({ width: 12, height: 10, channels: 1, pixels });
  const rng = new Random(505);
  let refusedCount = 0;
  for (let i = 0; i < 200; i++) {
    const bytes = good.slice();
    // IHDR data is bytes 16..29; its CRC is recomputed, so only the checks of meaning remain.
    const at = 16 + Math.floor(rng.uniform() * 13);
    bytes[at] = [0, 1, 2, 4, 6, 8, 16, 0x7f, 0xff][Math.floor(rng.uniform() * 9)]!;
    new DataView(bytes.buffer).setUint32(29, crc32(bytes.subarray(12, 29)));
    const view = new DataView(bytes.buffer);
    try {
      const img = decodeImage(onDisk(bytes, '.png'));
      assert.equal(img.width, view.getUint32(16));
      assert.equal(img.height, view.getUint32(20));
      assert.equal(img.gray.length, img.width * img.height);
    } catch (err) {
      assert.ok(err instanceof UserError, String(err));
      refusedCount++;
    }
  }
  assert.ok(refusedCount > 0);
});

test('fuzzed JPEGs: no crash or hang; truncations and insertions refused; a decoded image has its header size', () => {
  const w = 16;
  const h = 12;
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    data[4 * i] = (i * 7) % 256;
    data[4 * i + 1] = (i * 13) % 256;
    data[4 * i + 2] = (i * 29) % 256;
    data[4 * i + 3] = 255;
  }
  const good = new Uint8Array(jpeg.encode({ data, width: w, height: h }, 85).data);
  const sos = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda);
  tallies.jpeg = fuzz(
    'jpeg',
    good,
    sos,
    606,
    (bytes) => decodeImage(onDisk(bytes, '.jpg')),
    imageSame,
    // JPEG has no checksum: changed tables or entropy bits decode to other pixels. A cut
    // file loses its end marker and is refused; a byte inserted into the scan data cannot
    // be told from coded data, but one inserted among the headers breaks a length.
    (m) => m.inPlace || (m.kind === 'insert' && m.first > sos),
  );
});

test('the fuzzing covered at least 2,000 inputs and refused many of them', () => {
  const all = Object.values(tallies);
  const total = all.reduce((s, t) => s + t.refused + t.same + t.changed, 0);
  assert.ok(total >= 2000, `only ${total} inputs`);
  for (const [name, t] of Object.entries(tallies)) assert.ok(t.refused > PER_FORMAT / 4, `${name}: ${JSON.stringify(t)}`);
  console.log(`fuzzed ${total} inputs: ${JSON.stringify(tallies)}`);
});
