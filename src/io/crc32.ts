/**
 * CRC-32 (ISO 3309, the zlib and PNG polynomial) in plain TypeScript, so the same checksum
 * is computed in Node and in the browser. It can be continued over several pieces:
 * crc32(b, crc32(a)) equals crc32 of a followed by b.
 */
// Int32 throughout keeps V8 on small-integer arithmetic; uint32 values above 2^31 would be doubles.
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

type Crc32 = (bytes: Uint8Array, previous?: number) => number;
// Node has zlib's CRC (~100x faster than a table in JS); it is reached without an import so
// this module still runs in the browser, where the table below does the work.
const nodeCrc32 = ((): Crc32 | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.('zlib') as { crc32?: Crc32 } | undefined;
  return typeof zlib?.crc32 === 'function' ? zlib.crc32 : undefined;
})();

export function crc32(bytes: Uint8Array, previous = 0): number {
  return nodeCrc32 !== undefined ? nodeCrc32(bytes, previous) >>> 0 : tableCrc32(bytes, previous);
}

/** The portable CRC, exported so it can be checked against zlib's. */
export function tableCrc32(bytes: Uint8Array, previous = 0): number {
  let c = previous ^ -1;
  const table = TABLE;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Eight lower-case hex digits, the form checksums are stored in. */
export function crc32Hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
