/**
 * Inputs that used to hang, exhaust memory or be accepted damaged: each is refused with one
 * line, within seconds and a bounded amount of memory.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { UserError } from '../src/errors.js';
import { readIdxFile } from '../src/data/idx.js';
import { decodeImage, loadImageFolder } from '../src/data/folder.js';
import { checkDatasetUnchanged } from '../src/data/fingerprint.js';
import { encodePng } from '../src/viz/png.js';
import { crc32, tableCrc32 } from '../src/io/crc32.js';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { readContainer, encodeContainer } from '../src/io/container.js';
import { parseStrictJson } from '../src/io/strict-json.js';
import { createTrainingState, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { defaultRunConfig } from '../src/train/config.js';
import { decodeModelPayload, encodeModelPayload } from '../src/server/model-payload.js';
import { fromTorchStateDict } from '../src/vae/torch-interop.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `not a UserError: ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `more than one line: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

function idxHeader(dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function ihdr(width: number, height: number, colorType = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = 8;
  d[9] = colorType;
  return pngChunk('IHDR', d);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function greyPng(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  return encodePng({ width, height, channels: 1, pixels });
}

function smallJpeg(): Uint8Array {
  const data = Buffer.alloc(16 * 16 * 4);
  for (let i = 0; i < 256; i++) data.fill((i * 13) % 256, 4 * i, 4 * i + 3).writeUInt8(255, 4 * i + 3);
  return new Uint8Array(jpeg.encode({ data, width: 16, height: 16 }, 90).data);
}

function tinyState() {
  const c = defaultRunConfig();
  c.model = { ...c.model, inputDim: 16, imageHeight: 4, imageWidth: 4, hidden: [3], latent: 2 };
  return createTrainingState(c);
}

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-bounded-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('reads are bounded', () => {
  test('a FIFO named as an IDX file or an image is refused at once, not waited on', () => {
    const fifo = join(root, 'train-images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    refused(() => readIdxFile(fifo), /FIFO, not a regular file/);
    const png = join(root, 'fifo.png');
    execFileSync('mkfifo', [png]);
    refused(() => decodeImage(png), /FIFO, not a regular file/);
    assert.ok(Date.now() - t0 < 2000);
  });

  test('/dev/zero linked as an IDX file is refused', () => {
    const link = join(root, 'zero-idx');
    symlinkSync('/dev/zero', link);
    refused(() => readIdxFile(link), /device, not a regular file/);
  });

  test('a raw IDX file whose header claims more than the file holds is refused before reading', () => {
    const path = join(root, 'short.idx');
    writeFileSync(path, Buffer.concat([idxHeader([60000, 28, 28]), Buffer.alloc(100)]));
    refused(() => readIdxFile(path), /truncated: shape 60000x28x28 needs 47040000 data bytes, found 100/);
    writeFileSync(path, idxHeader([4294967295, 4294967295, 4294967295]));
    refused(() => readIdxFile(path), /more than the \d+ this toolkit reads/);
  });

  test('a 2 MB gzip that inflates to 2 GiB is refused within seconds and about 100 MB', () => {
    const path = join(root, 'bomb-idx3-ubyte.gz');
    // Concatenated gzip members are one stream to gunzip: a 64 MiB member of zeros, 32 times.
    const zeros = gzipSync(Buffer.alloc(64 * 2 ** 20), { level: 9 });
    const fd = openSync(path, 'w');
    writeSync(fd, gzipSync(idxHeader([60000, 28, 28])));
    for (let i = 0; i < 32; i++) writeSync(fd, zeros);
    closeSync(fd);
    const script = `
      import { readIdxFile } from ${JSON.stringify(new URL('../src/data/idx.js', import.meta.url).href)};
      const t0 = Date.now();
      try { readIdxFile(${JSON.stringify(path)}); console.log('accepted'); } catch (e) { console.log(e.name + ': ' + e.message); }
      console.log(JSON.stringify({ ms: Date.now() - t0, maxRssMB: process.resourceUsage().maxRSS / 1024 }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    const [line, stats] = r.stdout.trim().split('\n');
    assert.match(line!, /^UserError: bad IDX file .*inflates to more than the 47040016 bytes its header declares/);
    const { ms, maxRssMB } = JSON.parse(stats!) as { ms: number; maxRssMB: number };
    assert.ok(ms < 10_000, `took ${ms} ms`);
    assert.ok(maxRssMB < 160, `peak RSS ${maxRssMB} MB`);
  });

  test('a 249 KB PNG declaring 16000x16000 is refused from its header, before decoding', () => {
    const path = join(root, 'huge.png');
    // Every row filtered "none" and zero: deflate squeezes 256 MB of scanlines to a few hundred KB.
    const idat = deflateSync(Buffer.alloc(16001 * 4000), { level: 9 });
    writeFileSync(path, Buffer.concat([SIGNATURE, ihdr(16000, 16000), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]));
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    refused(() => decodeImage(path), /16000x16000 is larger than 64 megapixels/);
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(process.memoryUsage().rss - rss0 < 100e6);
  });
});

describe('damage is refused', () => {
  test('a PNG without IDAT, and one whose header claims 65535x28 over 28x28 of data, are refused naming the file', () => {
    const good = greyPng(28, 28);
    const chunks: { type: string; data: Uint8Array }[] = [];
    for (let p = 8; p < good.length; ) {
      const len = new DataView(good.buffer, good.byteOffset).getUint32(p);
      chunks.push({ type: String.fromCharCode(...good.subarray(p + 4, p + 8)), data: good.subarray(p + 8, p + 8 + len) });
      p += 12 + len;
    }
    const build = (parts: Buffer[]) => Buffer.concat([SIGNATURE, ...parts]);
    const noIdat = join(root, 'no-idat.png');
    writeFileSync(noIdat, build([ihdr(28, 28), pngChunk('IEND', new Uint8Array(0))]));
    refused(() => decodeImage(noIdat), /no-idat\.png.*no IDAT chunk/);
    const wide = join(root, 'wide.png');
    const idats = chunks.filter((c) => c.type === 'IDAT').map((c) => pngChunk('IDAT', c.data));
    writeFileSync(wide, build([ihdr(65535, 28), ...idats, pngChunk('IEND', new Uint8Array(0))]));
    refused(() => decodeImage(wide), /wide\.png.*header needs/);
    const ok = join(root, 'ok.png');
    writeFileSync(ok, build([ihdr(28, 28), ...idats, pngChunk('IEND', new Uint8Array(0))]));
    assert.equal(decodeImage(ok).width, 28);
  });

  test('structurally broken JPEGs are refused with clear messages naming the file', () => {
    const good = smallJpeg();
    const sos = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda);
    const eoi = good.length - 2;
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', good.subarray(0, Math.floor(good.length * 0.7)), /truncated/],
      ['no-eoi', good.subarray(0, eoi), /no end-of-image marker/],
      ['no-sos', Buffer.concat([good.subarray(0, sos), Buffer.from([0xff, 0xd9])]), /no scan \(SOS\)/],
      ['bad-marker', Buffer.concat([good.subarray(0, 2), Buffer.from([0xff, 0x02, 0x00, 0x04, 0, 0]), good.subarray(2)]), /unknown marker FF2/],
      ['no-soi', good.subarray(2), /no start-of-image marker/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const path = join(root, `${name}.jpg`);
      writeFileSync(path, bytes);
      refused(() => decodeImage(path), new RegExp(`${name}\\.jpg: .*${pattern.source}`));
    }
    writeFileSync(join(root, 'good.jpg'), good);
    assert.equal(decodeImage(join(root, 'good.jpg')).width, 16);
    // A 16x16 file whose frame header claims 4000x4000 (16 megapixels, within the limit) is
    // refused from its size alone, before a decoder allocates for it.
    const sof = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xc0);
    const claimed = Buffer.from(good);
    claimed.writeUInt16BE(4000, sof + 5);
    claimed.writeUInt16BE(4000, sof + 7);
    writeFileSync(join(root, 'claims.jpg'), claimed);
    const t0 = Date.now();
    refused(() => decodeImage(join(root, 'claims.jpg')), /claims\.jpg: its 4000x4000 header needs at least \d+ bytes of coded data/);
    assert.ok(Date.now() - t0 < 1000);
  });

  test('a corrupt image in a folder stops loading naming it, or is skipped and counted with skipBadImages', () => {
    const dir = join(root, 'folder');
    for (const c of ['a', 'b']) {
      mkdirSync(join(dir, c), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, c, `${i}.png`), greyPng(8, 8));
    }
    writeFileSync(join(dir, 'b', 'broken.png'), greyPng(8, 8).subarray(0, 40));
    refused(() => loadImageFolder(dir, { size: 8 }), /b\/broken\.png/);
    const data = loadImageFolder(dir, { size: 8, skipBadImages: true });
    assert.equal(data.train.count + data.test.count, 6);
    assert.equal(data.skipped!.length, 1);
    assert.match(data.skipped![0]!.reason, /broken\.png/);
    assert.equal(data.record!.skipped, 1);
  });

  test('a folder changed after a run began is noticed: class folder added, file removed; unchanged passes', () => {
    const dir = join(root, 'changing');
    for (const c of ['0', '1']) {
      mkdirSync(join(dir, c), { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(join(dir, c, `${i}.png`), greyPng(8, 8));
    }
    const first = loadImageFolder(dir, { size: 8 }).record;
    checkDatasetUnchanged(first, loadImageFolder(dir, { size: 8 }).record, `folder:${dir}`);
    mkdirSync(join(dir, '2'));
    writeFileSync(join(dir, '2', 'x.png'), greyPng(8, 8));
    writeFileSync(join(dir, '2', 'y.png'), greyPng(8, 8));
    refused(() => checkDatasetUnchanged(first, loadImageFolder(dir, { size: 8 }).record, `folder:${dir}`), /has changed since the run began \(8 images then, 10 now; class folder 2 added\)/);
    rmSync(join(dir, '2'), { recursive: true });
    rmSync(join(dir, '1', '3.png'));
    refused(() => checkDatasetUnchanged(first, loadImageFolder(dir, { size: 8 }).record, `folder:${dir}`), /8 images then, 7 now/);
    // A run from before records were kept has nothing to check against.
    checkDatasetUnchanged(undefined, first, 'x');
  });

  test('a flipped bit in a checkpoint\'s weights is "checkpoint damaged": one line, exit 2', () => {
    const dir = join(root, 'ck');
    mkdirSync(dir);
    const state = tinyState();
    saveCheckpoint(dir, state);
    const path = join(dir, 'checkpoint.safetensors');
    assert.equal(loadCheckpoint(dir).model.parameters()[0]![1].data[0], state.model.parameters()[0]![1].data[0]);
    const bytes = readFileSync(path);
    bytes[bytes.length - 5]! ^= 0x10;
    writeFileSync(path, bytes);
    refused(() => loadCheckpoint(dir), /^checkpoint damaged: /);
    const r = spawnSync(process.execPath, [MAIN, 'eval', '--checkpoint', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /checkpoint damaged/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('checkpoints without a checksum, as written before, still load; every other field is as before', () => {
    const state = tinyState();
    const sealed = decodeSafetensors(encodeCheckpoint(state));
    assert.deepEqual(Object.keys(sealed.metadata), ['format', 'version', 'config', 'epoch', 'adam_step', 'rng', 'checksum']);
    const { checksum, ...old } = sealed.metadata;
    assert.match(checksum!, /^crc32:[0-9a-f]{8}$/);
    const back = decodeCheckpoint(encodeSafetensors(sealed.tensors, old), 'old.safetensors');
    assert.deepEqual([...back.model.parameters()[2]![1].data], [...state.model.parameters()[2]![1].data]);
  });
});

test('the portable CRC-32 the browser uses agrees with zlib, also continued over pieces', () => {
  const bytes = new Uint8Array(10007);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  assert.equal(tableCrc32(bytes), zlibCrc32(bytes));
  assert.equal(tableCrc32(bytes.subarray(5000), tableCrc32(bytes.subarray(0, 5000))), zlibCrc32(bytes));
  assert.equal(crc32(bytes), zlibCrc32(bytes));
  assert.equal(tableCrc32(new Uint8Array(0)), 0);
});

describe('the container reader is strict', () => {
  const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
  function file(header: string, data: Uint8Array): Uint8Array {
    const json = Buffer.from(header, 'utf8');
    const out = Buffer.alloc(8 + json.length + data.length);
    out.writeUInt32LE(json.length, 0);
    json.copy(out, 8);
    Buffer.from(data).copy(out, 8 + json.length);
    return out;
  }
  const t = (offsets: [number, number]) => `{"dtype":"F32","shape":[1],"data_offsets":[${offsets.join(',')}]}`;

  test('byte-order mark, gaps, overlaps and duplicate keys are refused', () => {
    refused(() => decodeSafetensors(file(`\ufeff{"a":${t([0, 4])}}`, f32([1]))), /byte-order mark/);
    refused(() => decodeSafetensors(file(`{"a":${t([0, 4])},"b":${t([8, 12])}}`, f32([1, 2, 3]))), /4 bytes before tensor "b" belong to no tensor/);
    refused(() => decodeSafetensors(file(`{"a":${t([4, 8])}}`, f32([1, 2]))), /4 bytes before tensor "a"/);
    refused(() => decodeSafetensors(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":${t([4, 8])}}`, f32([1, 2]))), /overlapping/);
    refused(() => decodeSafetensors(file(`{"a":${t([0, 4])},"a":${t([0, 4])}}`, f32([1]))), /key "a" given twice/);
    refused(() => decodeSafetensors(file(`{"__metadata__":{"k":"1","k":"2"},"a":${t([0, 4])}}`, f32([1]))), /given twice/);
    assert.deepEqual([...decodeSafetensors(file(`{"a":${t([0, 4])},"b":${t([4, 8])}}`, f32([1, 2]))).tensors.b!.data], [2]);
  });

  test('tensor names like __proto__ and constructor are names: extra ones are refused on import and in payloads', () => {
    const model = tinyState().model;
    const payload = encodeModelPayload(model, { epoch: 3 });
    const parsed = decodeSafetensors(payload);
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const tensors = { ...parsed.tensors };
      Object.defineProperty(tensors, name, { value: { shape: [1], data: new Float32Array(1) }, enumerable: true });
      const { checksum: _omit, ...meta } = parsed.metadata;
      refused(() => decodeModelPayload(encodeSafetensors(tensors, meta)), new RegExp(`unexpected tensor "${name}"`));
      const torch = { 'fc1.weight': { shape: [2, 4], data: new Float32Array(8) } } as Record<string, { shape: number[]; data: Float32Array }>;
      Object.defineProperty(torch, name, { value: { shape: [1], data: new Float32Array(1) }, enumerable: true });
      assert.throws(() => fromTorchStateDict(torch), new RegExp(`unexpected tensor ${name.replace(/_/g, '_')}`));
    }
    // A missing tensor is not found on the prototype either.
    const kind = { noun: 'thing' };
    const c = readContainer(encodeContainer(kind, {}, {}), 'x', kind);
    refused(() => c.tensor('constructor'), /tensor constructor is missing/);
    refused(() => c.string('toString'), /metadata toString is missing/);
  });

  test('payload shapes are checked, not only sizes', () => {
    const model = tinyState().model;
    const parsed = decodeSafetensors(encodeModelPayload(model, { epoch: 1 }));
    const [name, p] = model.parameters().find(([, q]) => q.shape.length === 2)!;
    const tensors = { ...parsed.tensors, [name]: { shape: [p.shape[1]!, p.shape[0]!], data: p.data } };
    const { checksum: _omit, ...meta } = parsed.metadata;
    refused(() => decodeModelPayload(encodeSafetensors(tensors, meta)), /has shape \[\d+, \d+\], the model config needs/);
    assert.equal(decodeModelPayload(encodeModelPayload(model, { epoch: 1 })).info.epoch, 1);
  });

  test('integer metadata is parsed strictly', () => {
    const state = tinyState();
    const parsed = decodeSafetensors(encodeCheckpoint(state));
    const { checksum: _omit, ...meta } = parsed.metadata;
    for (const bad of ['', '0x10', ' 3 ', '1e21', '-0', '07', '3.0', '-1', '9007199254740993']) {
      refused(() => decodeCheckpoint(encodeSafetensors(parsed.tensors, { ...meta, epoch: bad }), 'ck'), /metadata epoch is .*expected a whole number/);
    }
    assert.equal(decodeCheckpoint(encodeSafetensors(parsed.tensors, { ...meta, epoch: '12' }), 'ck').epoch, 12);
  });

  test('the header JSON parser refuses what JSON.parse forgives and bounds nesting', () => {
    assert.throws(() => parseStrictJson('{"a":1,"a":2}'), /given twice/);
    assert.throws(() => parseStrictJson('['.repeat(100000)), /nesting deeper/);
    const o = parseStrictJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.ok(Object.hasOwn(o, '__proto__'));
    assert.deepEqual(parseStrictJson(' [1, -2.5e3, "\\u00e9\\n", true, null] '), [1, -2500, 'é\n', true, null]);
  });
});

describe('a folder dataset from the command line', () => {
  const vae = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });
  test('a bad image stops train naming it; --skip-bad-images counts it; resuming on a changed folder exits 2', () => {
    const dir = join(root, 'cli-folder');
    for (const c of ['0', '1']) {
      mkdirSync(join(dir, c), { recursive: true });
      for (let i = 0; i < 6; i++) writeFileSync(join(dir, c, `${i}.png`), greyPng(8, 8));
    }
    writeFileSync(join(dir, '1', 'bad.png'), greyPng(8, 8).subarray(0, 50));
    const flags = ['--dataset', `folder:${dir}`, '--image-size', '8', '--epochs', '1', '--hidden', '4', '--latent', '2', '--batch-size', '4'];
    const stopped = vae(['train', ...flags, '--out', 'fold-a']);
    assert.equal(stopped.status, 2);
    assert.match(stopped.stderr.trim(), /^vae: cannot decode image .*1\/bad\.png: chunk \w+ runs past the end of the file \(truncated\)$/);
    assert.equal(stopped.stderr.trim().split('\n').length, 1);

    const run = vae(['train', ...flags, '--skip-bad-images', '--out', 'fold-b']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /skipped 1 unreadable image \(the first: cannot decode image .*bad\.png/);
    assert.equal(loadCheckpoint(join(root, 'fold-b')).dataset!.images, 12);

    // Unchanged, the run resumes (skipping the same image again).
    const resumed = vae(['train', '--resume', 'fold-b', '--epochs', '2']);
    assert.equal(resumed.status, 0, resumed.stderr);

    mkdirSync(join(dir, '2'));
    for (let i = 0; i < 2; i++) writeFileSync(join(dir, '2', `${i}.png`), greyPng(8, 8));
    const changed = vae(['train', '--resume', 'fold-b', '--epochs', '3']);
    assert.equal(changed.status, 2);
    assert.match(changed.stderr, /has changed since the run began \(12 images then, 14 now; class folder 2 added\)/);
    assert.equal(changed.stderr.trim().split('\n').length, 1);
  });
});
