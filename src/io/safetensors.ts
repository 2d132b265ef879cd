import { UserError } from '../errors.js';
import { JsonSyntaxError, parseStrictJson } from './strict-json.js';

/** A dense, row-major float tensor as stored in a safetensors file. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const METADATA_KEY = '__metadata__';

// Bytes per element of every dtype we can read; all are widened to Float32 on load.
const DTYPE_SIZE: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Serialize tensors to safetensors bytes. Tensors are laid out contiguously in
 * name order so the same content always produces the same bytes.
 */
export function encodeSafetensors(
  tensors: Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new RangeError(`encodeSafetensors: metadata value for "${k}" is not a string`);
    }
    header[METADATA_KEY] = Object.fromEntries(Object.entries(metadata));
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) throw new RangeError(`encodeSafetensors: "${METADATA_KEY}" is reserved`);
    const t = tensors[name]!;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RangeError(`encodeSafetensors: tensor "${name}" has invalid shape [${t.shape.join(', ')}]`);
      }
    }
    if (shapeSize(t.shape) !== t.data.length) {
      throw new RangeError(
        `encodeSafetensors: tensor "${name}" shape [${t.shape.join(', ')}] does not match ${t.data.length} elements`,
      );
    }
    const bytes = t.data.length * 4;
    // defineProperty so a tensor named "__proto__" becomes a key, not a prototype change.
    Object.defineProperty(header, name, {
      value: { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad so the data section starts 8-byte aligned, letting readers map it as typed arrays in place.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);

  let pos = 8 + headerLen;
  for (const name of names) {
    const data = tensors[name]!.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + i * 4, data[i]!, true);
    }
    pos += data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Where one tensor sits in a file's data section. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parse safetensors bytes. Every structural problem becomes a one-line
 * UserError, since checkpoints come from disk and may be truncated or foreign.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source?: string,
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(bytes, source);
  return { tensors, metadata };
}

/** A parsed file with its layout: what a checksum over the file's content is computed from. */
export interface SafetensorsContents {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
  layout: TensorEntry[];
  /** The data section, every byte of which belongs to exactly one tensor. */
  data: Uint8Array;
}

/**
 * The strict reader behind decodeSafetensors: beyond the format's rules it refuses a key
 * given twice, a byte-order mark, and bytes of the data section that belong to no tensor.
 */
export function readSafetensors(bytes: Uint8Array, source?: string, options: { copyData?: boolean } = {}): SafetensorsContents {
  const where = source === undefined ? 'safetensors data' : source;
  const fail = (why: string): never => {
    throw new UserError(`${where} is not a valid safetensors file: ${why}`);
  };

  if (bytes.length < 8) fail(`file is only ${bytes.length} bytes, too short for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenLo = view.getUint32(0, true);
  const lenHi = view.getUint32(4, true);
  const headerLen = lenHi * 2 ** 32 + lenLo;
  if (headerLen > bytes.length - 8) {
    fail(`header length ${headerLen} exceeds the ${bytes.length - 8} bytes after it (file truncated or corrupt)`);
  }

  // TextDecoder drops a leading byte-order mark unasked; the format has none, so it is damage.
  if (bytes[8] === 0xef && bytes[9] === 0xbb && bytes[10] === 0xbf) fail('header starts with a byte-order mark');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = parseStrictJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return fail(`header is not valid JSON (${err.message})`);
  }
  if (!isPlainObject(parsed)) return fail('header is not a JSON object');

  const metaEntries: [string, string][] = [];
  const entries: TensorEntry[] = [];
  for (const name of Object.keys(parsed)) {
    const value = parsed[name];
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) fail(`"${METADATA_KEY}" is not an object`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata value for "${k}" is not a string`);
        metaEntries.push([k, v as string]);
      }
      continue;
    }
    const label = `tensor "${name}"`;
    if (!isPlainObject(value)) return fail(`${label} entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string') return fail(`${label} has no dtype`);
    const elemSize = DTYPE_SIZE[dtype];
    if (elemSize === undefined || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      return fail(`${label} has unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F64, F16, BF16)`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) return fail(`${label} has an invalid shape`);
    const count = shapeSize(shape);
    if (!Number.isSafeInteger(count * elemSize)) return fail(`${label} shape [${shape.join(', ')}] is too large`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      return fail(`${label} has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) return fail(`${label} data_offsets [${begin}, ${end}] end before they begin`);
    if (end - begin !== count * elemSize) {
      return fail(
        `${label} data_offsets span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${count * elemSize}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let lastEnd = 0;
  for (const e of entries) lastEnd = Math.max(lastEnd, e.end);
  if (lastEnd > dataLen) {
    fail(`tensor data needs ${lastEnd} bytes but only ${dataLen} are present (file truncated?)`);
  }
  if (lastEnd < dataLen) fail(`${dataLen - lastEnd} unexpected bytes after the last tensor`);

  // The data must be covered exactly: no bytes between tensors (a place to hide a second
  // file), none shared by two. Empty tensors occupy no bytes and may sit at any boundary.
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let reach = 0;
  let previous: TensorEntry | undefined;
  for (const cur of byStart) {
    if (cur.begin < reach) fail(`tensors "${previous!.name}" and "${cur.name}" have overlapping data_offsets`);
    if (cur.begin > reach) fail(`${cur.begin - reach} bytes before tensor "${cur.name}" belong to no tensor`);
    if (cur.end > reach || previous === undefined) {
      reach = cur.end;
      previous = cur;
    }
  }

  const tensorEntries: [string, NamedTensor][] = [];
  // A writer checking its own layout needs no copies of the data it already has.
  for (const e of options.copyData === false ? [] : entries) {
    const count = shapeSize(e.shape);
    // Fresh arrays: the source offset may be unaligned and callers may mutate the result.
    const data = new Float32Array(count);
    const base = dataStart + e.begin;
    switch (e.dtype) {
      case 'F32':
        if (LITTLE_ENDIAN) {
          new Uint8Array(data.buffer).set(bytes.subarray(base, base + count * 4));
        } else {
          for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + i * 4, true);
        }
        break;
      case 'F64':
        for (let i = 0; i < count; i++) data[i] = view.getFloat64(base + i * 8, true);
        break;
      case 'F16':
        for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(base + i * 2, true));
        break;
      case 'BF16': {
        // bfloat16 is the top half of a float32, so widening is a shift.
        const bits = new Uint32Array(data.buffer);
        for (let i = 0; i < count; i++) bits[i] = view.getUint16(base + i * 2, true) << 16;
        break;
      }
    }
    tensorEntries.push([e.name, { shape: [...e.shape], data }]);
  }

  // fromEntries defines own properties, so hostile names like "__proto__" stay plain keys.
  return {
    tensors: Object.fromEntries(tensorEntries),
    metadata: Object.fromEntries(metaEntries),
    layout: entries,
    data: bytes.subarray(dataStart),
  };
}
