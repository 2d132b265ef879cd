/**
 * The toolkit's one file skeleton: a safetensors file whose metadata names its kind
 * (`format`) and `version`, optionally sealed by a checksum of its whole content. Every
 * kind of file (checkpoints, the model payload, latent snapshots, PyTorch exports) is read
 * through here, so the same checks hold for all: format and version first, tensors looked
 * up as own entries only, shapes compared dimension by dimension, unknown tensors refused,
 * integers in the metadata parsed strictly. No Node built-ins: the browser reads the model
 * payload with this code too.
 */
import { UserError } from '../errors.js';
import { crc32, crc32Hex } from './crc32.js';
import { encodeSafetensors, readSafetensors, type NamedTensor, type TensorEntry } from './safetensors.js';

/** What a file of one kind is called and how its metadata marks it. */
export interface ContainerKind {
  /** Said in messages: "checkpoint", "model payload", ... */
  noun: string;
  /** The metadata `format` value; undefined for foreign files that carry none. */
  format?: string;
  /** Versions this toolkit reads (the first is written). */
  versions?: readonly string[];
}

/** The metadata key of the content checksum. */
export const CHECKSUM_KEY = 'checksum';
const CHECKSUM_PREFIX = 'crc32:';
const PLACEHOLDER = CHECKSUM_PREFIX + '00000000';

/**
 * The checksum covers everything a reader takes from the file: every metadata value but
 * the checksum itself, every tensor's name, dtype, shape and place, and the data bytes. So
 * a flipped bit anywhere either breaks the structure or the checksum.
 */
function contentChecksum(metadata: Record<string, string>, layout: readonly TensorEntry[], data: Uint8Array): string {
  const meta = Object.keys(metadata)
    .filter((k) => k !== CHECKSUM_KEY)
    .sort()
    .map((k) => [k, metadata[k]]);
  const tensors = [...layout].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => [e.name, e.dtype, e.shape, e.begin, e.end]);
  const head = new TextEncoder().encode(JSON.stringify([meta, tensors]));
  return CHECKSUM_PREFIX + crc32Hex(crc32(data, crc32(head)));
}

/**
 * A file of the given kind. `fields` follow `format` and `version` in the metadata in the
 * order given; with `checksum` the content checksum comes last.
 */
export function encodeContainer(
  kind: ContainerKind,
  tensors: Record<string, NamedTensor>,
  fields: Record<string, string>,
  options: { checksum?: boolean } = {},
): Uint8Array {
  const metadata: Record<string, string> = {};
  if (kind.format !== undefined) metadata.format = kind.format;
  if (kind.versions !== undefined) metadata.version = kind.versions[0]!;
  for (const [k, v] of Object.entries(fields)) {
    if (k === CHECKSUM_KEY || (k in metadata && Object.hasOwn(metadata, k))) throw new RangeError(`encodeContainer: metadata key "${k}" is reserved`);
    metadata[k] = v;
  }
  if (options.checksum !== true) return encodeSafetensors(tensors, metadata);
  // Written with a placeholder of the same length, then patched: the checksum needs the
  // layout and the data, which only exist once the file is laid out.
  metadata[CHECKSUM_KEY] = PLACEHOLDER;
  const bytes = encodeSafetensors(tensors, metadata);
  const parsed = readSafetensors(bytes, undefined, { copyData: false });
  const sum = new TextEncoder().encode(contentChecksum(parsed.metadata, parsed.layout, parsed.data));
  const needle = new TextEncoder().encode(`"${CHECKSUM_KEY}":"${PLACEHOLDER}"`);
  const at = indexOf(bytes, needle);
  // The needle is unique: metadata values are JSON strings, so their quotes are escaped.
  if (at < 0) throw new Error('encodeContainer: checksum placeholder not found');
  bytes.set(sum, at + needle.length - PLACEHOLDER.length - 1);
  return bytes;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const end = Math.min(haystack.length, 8 + Number(new DataView(haystack.buffer, haystack.byteOffset).getUint32(0, true))) - needle.length;
  outer: for (let i = 8; i <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const STRICT_UINT = /^(?:0|[1-9][0-9]*)$/;

/** A read file of some kind: tensors and metadata to be taken, each checked as it is taken. */
export class Container {
  /** Tensors by name; no prototype, so only names in the file are found. */
  readonly tensors: Record<string, NamedTensor>;
  /** Metadata by key; no prototype. */
  readonly metadata: Record<string, string>;
  /** Whether the file carried a checksum (and so had it checked). */
  readonly checksummed: boolean;
  private readonly taken = new Set<string>();

  constructor(
    readonly source: string,
    readonly kind: ContainerKind,
    tensors: Record<string, NamedTensor>,
    metadata: Record<string, string>,
    checksummed: boolean,
  ) {
    this.tensors = Object.assign(Object.create(null) as Record<string, NamedTensor>, tensors);
    this.metadata = Object.assign(Object.create(null) as Record<string, string>, metadata);
    this.checksummed = checksummed;
  }

  /** A one-line error saying why the file cannot be used. */
  bad(why: string): UserError {
    return new UserError(`${this.kind.noun} ${this.source} is not usable: ${why}`);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.tensors, name);
  }

  /** Names of the file's tensors, in file order. */
  names(): string[] {
    return Object.keys(this.tensors);
  }

  /** The shape of a tensor, or a one-line error when it is missing. */
  shapeOf(name: string): readonly number[] {
    if (!this.has(name)) throw this.bad(`tensor ${name} is missing`);
    return this.tensors[name]!.shape;
  }

  /** A tensor's data, checked to have exactly `shape` (when given); `needs` says who needs that shape. */
  tensor(name: string, shape?: readonly number[], needs = 'expected'): Float32Array {
    if (!this.has(name)) throw this.bad(`tensor ${name} is missing`);
    const t = this.tensors[name]!;
    if (shape !== undefined && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw this.bad(`tensor ${name} has shape [${t.shape.join(', ')}], ${needs} [${shape.join(', ')}]`);
    }
    this.taken.add(name);
    return t.data;
  }

  /** Refuses tensors nobody took: for kinds with a fixed set, an extra tensor is damage or a foreign file. */
  noOthers(hint = ''): void {
    const extra = this.names().filter((n) => !this.taken.has(n));
    if (extra.length > 0) throw this.bad(`unexpected tensor ${JSON.stringify(extra[0])}${hint}`);
  }

  string(key: string): string {
    if (!Object.hasOwn(this.metadata, key)) throw this.bad(`metadata ${key} is missing`);
    return this.metadata[key]!;
  }

  /** A non-negative integer written in plain decimal: "", " 3", "0x10", "1e21", "-0", "07" are errors. */
  uint(key: string, min = 0): number {
    const text = this.string(key);
    const n = Number(text);
    if (!STRICT_UINT.test(text) || !Number.isSafeInteger(n) || n < min) {
      throw this.bad(`metadata ${key} is ${JSON.stringify(text)}, expected a whole number${min > 0 ? ` of at least ${min}` : ''}`);
    }
    return n;
  }

  json(key: string): unknown {
    const text = this.string(key);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.bad(`metadata ${key} is not valid JSON`);
    }
  }
}

/** Strict integer parsing for metadata outside a Container; null when `text` is not one. */
export function parseUint(text: string): number | null {
  const n = Number(text);
  return STRICT_UINT.test(text) && Number.isSafeInteger(n) ? n : null;
}

/**
 * Reads a file of the given kind: structure, then format and version, then the checksum
 * when the file has one (files written before checksums have none and are read as before).
 */
export function readContainer(bytes: Uint8Array, source: string, kind: ContainerKind): Container {
  const parsed = readSafetensors(bytes, source);
  const { metadata } = parsed;
  const bad = (why: string): UserError => new UserError(`${kind.noun} ${source} is not usable: ${why}`);
  if (kind.format !== undefined && metadata.format !== kind.format) {
    const found = Object.hasOwn(metadata, 'format') ? JSON.stringify(metadata.format) : 'none';
    throw bad(`not a ${kind.noun} of this toolkit (format ${found})`);
  }
  if (kind.versions !== undefined) {
    const version = Object.hasOwn(metadata, 'version') ? metadata.version! : '';
    if (!kind.versions.includes(version)) {
      throw bad(`version ${JSON.stringify(version)}; this toolkit reads version ${kind.versions.join(' or ')}`);
    }
  }
  const checksummed = Object.hasOwn(metadata, CHECKSUM_KEY);
  if (checksummed && metadata[CHECKSUM_KEY] !== contentChecksum(metadata, parsed.layout, parsed.data)) {
    throw new UserError(`${kind.noun} damaged: ${source} does not match the checksum it was written with`);
  }
  return new Container(source, kind, parsed.tensors, metadata, checksummed);
}
