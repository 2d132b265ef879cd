import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors.js';
import { appendLineDurable, ensureWritableDir, writeFileAtomic } from '../src/io/atomic.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/io/safetensors.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'vae-io-test-'));
}

function assertUserError(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

// --- atomic writes -------------------------------------------------------------

test('writeFileAtomic creates and replaces content, leaving no temp files', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'model.safetensors');
    writeFileAtomic(file, 'first version');
    assert.equal(readFileSync(file, 'utf8'), 'first version');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(file)], [1, 2, 3]);
    writeFileAtomic(file, '');
    assert.equal(readFileSync(file).length, 0);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic into an impossible location throws UserError and keeps the old file', () => {
  const dir = tempDir();
  try {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'old content');
    // Root ignores permission bits, so use paths that fail for everyone.
    assertUserError(() => writeFileAtomic(join(blocker, 'x.bin'), 'new'), /^cannot write .*x\.bin: .*not a folder/);
    assertUserError(() => writeFileAtomic(join(dir, 'missing', 'x.bin'), 'new'), /no such file or folder/);

    const folderTarget = join(dir, 'a-folder');
    mkdirSync(folderTarget);
    assertUserError(() => writeFileAtomic(folderTarget, 'new'), /is a folder/);
    assert.ok(statSync(folderTarget).isDirectory());

    assert.equal(readFileSync(blocker, 'utf8'), 'old content');
    assert.deepEqual(readdirSync(dir).sort(), ['a-folder', 'not-a-folder']);
    assert.deepEqual(readdirSync(folderTarget), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ensureWritableDir creates nested folders and rejects a file path', () => {
  const dir = tempDir();
  try {
    const nested = join(dir, 'a', 'b', 'c');
    ensureWritableDir(nested);
    assert.ok(statSync(nested).isDirectory());
    assert.deepEqual(readdirSync(nested), [], 'probe file must be removed');
    ensureWritableDir(nested); // idempotent

    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    assertUserError(() => ensureWritableDir(file), /^cannot write to output folder .*file: not a folder$/);
    assertUserError(() => ensureWritableDir(join(file, 'sub')), /^cannot write to output folder /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('appendLineDurable appends whole lines and reports failures as UserError', () => {
  const dir = tempDir();
  try {
    const log = join(dir, 'metrics.jsonl');
    appendLineDurable(log, '{"step":1}');
    appendLineDurable(log, '{"step":2}\n');
    assert.equal(readFileSync(log, 'utf8'), '{"step":1}\n{"step":2}\n');
    assert.throws(() => appendLineDurable(log, 'a\nb'), RangeError);
    assertUserError(() => appendLineDurable(join(dir, 'nope', 'm.jsonl'), 'x'), /^cannot write /);
    assertUserError(() => appendLineDurable(dir, 'x'), /is a folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- safetensors ----------------------------------------------------------------

function sample(): Record<string, NamedTensor> {
  return {
    'encoder.w': { shape: [3, 2], data: new Float32Array([1, -2, 3.5, 0, 1e-30, -Infinity]) },
    'decoder.b': { shape: [5], data: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]) },
    scalar: { shape: [], data: new Float32Array([42]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
  };
}

function headerOf(bytes: Uint8Array): { len: number; json: Record<string, unknown> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  return { len, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) };
}

/** Assemble a file from an arbitrary header value and data bytes, without validation. */
function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('safetensors round trip keeps tensors and metadata', () => {
  const tensors = sample();
  const metadata = { format: 'pt', config: '{"latent":2}', 'ünï': 'cödé' };
  const bytes = encodeSafetensors(tensors, metadata);
  const back = decodeSafetensors(bytes, 'model.safetensors');
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    assert.deepEqual(back.tensors[name]!.shape, t.shape, name);
    assert.deepEqual([...back.tensors[name]!.data], [...t.data], name);
    assert.ok(back.tensors[name]!.data instanceof Float32Array);
  }
  assert.deepEqual(decodeSafetensors(encodeSafetensors({})), { tensors: {}, metadata: {} });
});

test('safetensors layout: aligned header, sorted contiguous data, deterministic', () => {
  const metas: Array<Record<string, string> | undefined> = [undefined, {}, { a: 'x' }, { a: 'xy' }, { a: 'xyz' }, { long: 'x'.repeat(13) }];
  for (const meta of metas) {
    const bytes = encodeSafetensors(sample(), meta);
    const { len, json } = headerOf(bytes);
    assert.equal((8 + len) % 8, 0, 'data section must start 8-byte aligned');
    const raw = new TextDecoder().decode(bytes.subarray(8, 8 + len));
    assert.match(raw, /^\{.*\} *$/);
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    const byOffset = [...names].sort(
      (a, b) =>
        (json[a] as { data_offsets: number[] }).data_offsets[0]! - (json[b] as { data_offsets: number[] }).data_offsets[0]! ||
        a.localeCompare(b),
    );
    assert.deepEqual(byOffset, [...names].sort());
    let expected = 0;
    for (const name of [...names].sort()) {
      const entry = json[name] as { dtype: string; data_offsets: [number, number] };
      assert.equal(entry.dtype, 'F32');
      assert.equal(entry.data_offsets[0], expected);
      expected = entry.data_offsets[1];
    }
    assert.equal(bytes.length - 8 - len, expected);
  }
  assert.deepEqual(encodeSafetensors(sample(), { a: 'b' }), encodeSafetensors(sample(), { a: 'b' }));
});

test('encodeSafetensors rejects shape/data mismatches as programming errors', () => {
  assert.throws(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }), RangeError);
  assert.throws(() => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }), RangeError);
  assert.throws(() => encodeSafetensors({ w: { shape: [1.5], data: new Float32Array(1) } }), RangeError);
});

test('decodeSafetensors works on an unaligned view into a larger buffer', () => {
  const bytes = encodeSafetensors(sample(), { k: 'v' });
  const big = new Uint8Array(bytes.length + 3);
  big.set(bytes, 3);
  const back = decodeSafetensors(big.subarray(3));
  assert.deepEqual([...back.tensors['encoder.w']!.data], [...sample()['encoder.w']!.data]);
});

test('truncated files throw UserError at every cut point', () => {
  const bytes = encodeSafetensors(sample(), { a: 'b' });
  const { len } = headerOf(bytes);
  const cuts = new Set([0, 1, 4, 7, 8, 9, 8 + Math.floor(len / 2), 8 + len - 1, 8 + len, 8 + len + 1, bytes.length - 4, bytes.length - 1]);
  for (const cut of cuts) {
    assertUserError(() => decodeSafetensors(bytes.subarray(0, cut), 'cut.safetensors'), /^cut\.safetensors /);
  }
  assertUserError(() => decodeSafetensors(bytes.subarray(0, 5)), /too short/);
  assertUserError(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /truncated/);
  // Trailing junk is just as suspicious as missing data.
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  assertUserError(() => decodeSafetensors(longer), /unexpected bytes/);
});

test('corrupt header length throws UserError', () => {
  const bytes = encodeSafetensors(sample());
  const { len } = headerOf(bytes);
  const variants: Array<[number, number]> = [
    [0xffffffff, 0],
    [len, 1],
    [0xffffffff, 0xffffffff],
    [bytes.length, 0],
    [len - 8, 0], // cuts the JSON
    [0, 0],
  ];
  for (const [lo, hi] of variants) {
    const copy = bytes.slice();
    const view = new DataView(copy.buffer);
    view.setUint32(0, lo, true);
    view.setUint32(4, hi, true);
    assertUserError(() => decodeSafetensors(copy, 'x.safetensors'));
  }
});

test('bad header contents throw UserError with a reason', () => {
  const f32 = (n: number) => new Uint8Array(n * 4);
  const cases: Array<[Uint8Array, RegExp]> = [
    [buildFile(null, undefined, '{"w": {"dtype": "F32", '), /not valid JSON/],
    [buildFile(null, undefined, 'not json at all'), /not valid JSON/],
    [buildFile([1, 2, 3]), /not a JSON object/],
    [buildFile('string'), /not a JSON object/],
    [buildFile(null), /not a JSON object/],
    [buildFile(null, undefined, '\u00ff'.repeat(3)).map((b, i) => (i >= 8 ? 0xff : b)), /UTF-8/],
    [buildFile({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32(1)), /unsupported dtype "Q4"/],
    [buildFile({ w: { dtype: 'I32', shape: [1], data_offsets: [0, 4] } }, f32(1)), /unsupported dtype/],
    [buildFile({ w: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, f32(1)), /unsupported dtype/],
    [buildFile({ w: { shape: [1], data_offsets: [0, 4] } }, f32(1)), /no dtype/],
    [buildFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
    [buildFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
    [buildFile({ w: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
    [buildFile({ w: { dtype: 'F32', shape: [1e10, 1e10], data_offsets: [0, 4] } }, f32(1)), /too large/],
    [buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), /invalid data_offsets/],
    [buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, f32(1)), /invalid data_offsets/],
    [buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, f32(2)), /end before/],
    [buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1)), /truncated/],
    [buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [1e12, 1e12 + 4] } }, f32(1)), /truncated/],
    [buildFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, f32(5)), /needs 24/],
    [buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }, f32(3)), /needs 8/],
    [
      buildFile(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        f32(3),
      ),
      /overlapping/,
    ],
    [
      buildFile(
        {
          a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
          e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        f32(3),
      ),
      /overlapping/,
    ],
    [buildFile({ w: 5 }), /not an object/],
    [buildFile({ __metadata__: [] }), /__metadata__/],
    [buildFile({ __metadata__: { k: 1 } }), /metadata value/],
  ];
  for (const [bytes, pattern] of cases) {
    assertUserError(() => decodeSafetensors(bytes, 'bad.safetensors'), pattern);
  }
});

test('random corruption never escapes as anything but UserError', () => {
  const good = encodeSafetensors(sample(), { a: 'b' });
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let trial = 0; trial < 2000; trial++) {
    const bytes = good.slice();
    const flips = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < flips; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    try {
      decodeSafetensors(bytes);
    } catch (err) {
      assert.ok(err instanceof UserError, `trial ${trial}: ${String(err)}`);
    }
  }
});

test('hostile tensor names stay plain keys', () => {
  const bytes = buildFile(
    null,
    new Uint8Array(new Float32Array([7]).buffer),
    '{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}',
  );
  const { tensors } = decodeSafetensors(bytes);
  assert.ok(Object.hasOwn(tensors, '__proto__'));
  assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  assert.deepEqual([...tensors['__proto__']!.data], [7]);
});

test('decodes hand-built F16, BF16 and F64 tensors into Float32Array', () => {
  const f16 = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x0000, 0x8000];
  const f16Expected = [1, -2, 0.5, 65504, 2 ** -24, Infinity, 0, -0];
  const bf16 = [0x3f80, 0xc000, 0x4049, 0xff80];
  const bf16Expected = [1, -2, 3.140625, -Infinity];
  const f64 = [Math.PI, -1e-3, 2.5];

  const data = new Uint8Array(f16.length * 2 + bf16.length * 2 + f64.length * 8 + 4);
  const view = new DataView(data.buffer);
  let off = 0;
  const h16Begin = off;
  for (const h of f16) view.setUint16((off += 2) - 2, h, true);
  const b16Begin = off;
  for (const h of bf16) view.setUint16((off += 2) - 2, h, true);
  const f64Begin = off;
  for (const v of f64) view.setFloat64((off += 8) - 8, v, true);
  const f32Begin = off;
  view.setFloat32(off, 1.25, true);
  off += 4;

  const header = {
    __metadata__: { source: 'elsewhere' },
    half: { dtype: 'F16', shape: [2, 4], data_offsets: [h16Begin, b16Begin] },
    brain: { dtype: 'BF16', shape: [4], data_offsets: [b16Begin, f64Begin] },
    double: { dtype: 'F64', shape: [3, 1], data_offsets: [f64Begin, f32Begin] },
    single: { dtype: 'F32', shape: [1], data_offsets: [f32Begin, off] },
  };
  const { tensors, metadata } = decodeSafetensors(buildFile(header, data), 'foreign.safetensors');
  assert.deepEqual(metadata, { source: 'elsewhere' });
  assert.deepEqual(tensors['half']!.shape, [2, 4]);
  assert.deepEqual([...tensors['half']!.data], f16Expected);
  assert.ok(Object.is(tensors['half']!.data[7], -0));
  assert.deepEqual([...tensors['brain']!.data], bf16Expected);
  assert.deepEqual(tensors['double']!.shape, [3, 1]);
  assert.deepEqual([...tensors['double']!.data], f64.map((v) => Math.fround(v)));
  assert.deepEqual([...tensors['single']!.data], [1.25]);
  for (const t of Object.values(tensors)) assert.ok(t.data instanceof Float32Array);
});
