/**
 * Structural checks of PNG, JPEG and WebP files before they are decoded. The decoders in use are
 * lenient: they fill a missing image with black, decode a header's width from too little
 * data, and fail on damage with messages about their own internals. These checks read only
 * the headers and the chunk or segment structure, so damage is refused with a reason that
 * means something, and the size of a picture is known (and refused) before any memory is
 * spent decoding it.
 */
import { inflateSync } from 'node:zlib';
import { crc32 } from '../io/crc32.js';

/** Why a file is not a usable picture; the caller adds the file's name. */
export class ImageDamage extends Error {
  override readonly name = 'ImageDamage';
}

export interface ImageSize {
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels of each PNG colour type and the bit depths it allows. */
const PNG_COLOR: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function tooLarge(size: ImageSize, maxPixels: number): void {
  if (size.width * size.height > maxPixels) {
    throw new ImageDamage(`${size.width}x${size.height} is larger than ${maxPixels / 1e6} megapixels`);
  }
}

/** Bytes of filtered scanlines a PNG of this header must inflate to. */
function pngRawLength(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number): number => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

/**
 * Checks a PNG's chunk structure (signature, lengths, CRCs, IHDR first, IDAT present and
 * contiguous, IEND last) and that its image data inflates to exactly what the header's size
 * needs, refusing pictures above `maxPixels` before inflating anything.
 */
export function checkPng(bytes: Uint8Array, maxPixels: number): ImageSize {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw new ImageDamage('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let header: { width: number; height: number; bitsPerPixel: number; interlaced: boolean; colorType: number } | undefined;
  const idat: Uint8Array[] = [];
  let idatDone = false;
  let palette = false;
  for (;;) {
    if (pos + 12 > bytes.length) throw new ImageDamage('truncated (no IEND chunk)');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ImageDamage(`bad chunk type at byte ${pos}`);
    if (length > 2 ** 31 - 1 || pos + 12 + length > bytes.length) throw new ImageDamage(`chunk ${type} runs past the end of the file (truncated)`);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    const crc = view.getUint32(pos + 8 + length);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== crc) throw new ImageDamage(`chunk ${type} fails its CRC check`);
    pos += 12 + length;
    if (header === undefined && type !== 'IHDR') throw new ImageDamage('the first chunk is not IHDR');
    if (type === 'IHDR') {
      if (header !== undefined) throw new ImageDamage('two IHDR chunks');
      if (length !== 13) throw new ImageDamage(`IHDR is ${length} bytes, not 13`);
      const dv = new DataView(data.buffer, data.byteOffset, 13);
      const width = dv.getUint32(0);
      const height = dv.getUint32(4);
      const [depth, colorType, compression, filter, interlace] = [data[8]!, data[9]!, data[10]!, data[11]!, data[12]!];
      if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1) throw new ImageDamage(`bad size ${width}x${height}`);
      const color = PNG_COLOR[colorType];
      if (color === undefined || !color.depths.includes(depth)) throw new ImageDamage(`bad colour type ${colorType} with bit depth ${depth}`);
      if (compression !== 0 || filter !== 0 || interlace > 1) throw new ImageDamage('unknown compression, filter or interlace method');
      tooLarge({ width, height }, maxPixels);
      header = { width, height, bitsPerPixel: depth * color.channels, interlaced: interlace === 1, colorType };
    } else if (type === 'PLTE') {
      if (idat.length > 0) throw new ImageDamage('PLTE after IDAT');
      if (length === 0 || length % 3 !== 0 || length > 768) throw new ImageDamage(`PLTE of ${length} bytes`);
      palette = true;
    } else if (type === 'IDAT') {
      if (idatDone) throw new ImageDamage('IDAT chunks are not consecutive');
      idat.push(data);
    } else if (type === 'IEND') {
      if (length !== 0) throw new ImageDamage('IEND with data');
      if (pos !== bytes.length) throw new ImageDamage(`${bytes.length - pos} bytes after IEND`);
      break;
    } else {
      if (idat.length > 0) idatDone = true;
      // An unknown critical chunk (upper-case first letter) means a feature we cannot decode.
      if (type.charCodeAt(0) < 0x61) throw new ImageDamage(`unknown critical chunk ${type}`);
    }
  }
  if (header === undefined) throw new ImageDamage('no IHDR chunk');
  if (idat.length === 0) throw new ImageDamage('no IDAT chunk: the file holds no image data');
  if (header.colorType === 3 && !palette) throw new ImageDamage('a palette image without PLTE');
  const need = pngRawLength(header.width, header.height, header.bitsPerPixel, header.interlaced);
  let raw: Uint8Array;
  try {
    // One byte more than needed is enough to know there is too much.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: need + 1 });
  } catch (err) {
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageDamage(`its image data is larger than its ${header.width}x${header.height} header says`);
    }
    throw new ImageDamage(`its image data is damaged (${(err as Error).message})`);
  }
  if (raw.length !== need) {
    throw new ImageDamage(`its image data holds ${raw.length} bytes, its ${header.width}x${header.height} header needs ${need}`);
  }
  return { width: header.width, height: header.height };
}

const SOF_SUPPORTED = new Set([0xc0, 0xc1, 0xc2]);
const SOF_OTHER = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Checks a JPEG's marker structure: SOI, segments whose lengths fit the file and their
 * contents, one baseline or progressive frame (refused above `maxPixels`), scans that name
 * the frame's components and defined tables, entropy-coded data ended by a marker, and EOI.
 */
export function checkJpeg(bytes: Uint8Array, maxPixels: number): ImageSize {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new ImageDamage('not a JPEG file (no start-of-image marker)');
  const u16 = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
  let pos = 2;
  let frame: { width: number; height: number; ids: Set<number>; hMax: number; vMax: number } | undefined;
  let codedBytes = 0;
  const dcTables = new Set<number>();
  const acTables = new Set<number>();
  const quantTables = new Set<number>();
  let scans = 0;
  for (;;) {
    if (pos >= bytes.length) throw new ImageDamage('truncated (no end-of-image marker)');
    if (bytes[pos] !== 0xff) throw new ImageDamage(`expected a marker at byte ${pos}`);
    while (bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) throw new ImageDamage('truncated (no end-of-image marker)');
    const marker = bytes[pos++]!;
    if (marker === 0xd9) break;
    if (marker === 0x00 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      throw new ImageDamage(`unexpected marker FF${marker.toString(16).toUpperCase().padStart(2, '0')} at byte ${pos - 2}`);
    }
    if (pos + 2 > bytes.length) throw new ImageDamage('truncated inside a segment header');
    const length = u16(pos);
    if (length < 2 || pos + length > bytes.length) throw new ImageDamage(`segment FF${marker.toString(16).toUpperCase()} runs past the end of the file (truncated)`);
    const seg = bytes.subarray(pos + 2, pos + length);
    const segEnd = pos + length;
    pos = segEnd;
    if (SOF_SUPPORTED.has(marker)) {
      if (frame !== undefined) throw new ImageDamage('more than one frame');
      if (seg.length < 6) throw new ImageDamage('frame header too short');
      const precision = seg[0]!;
      const height = (seg[1]! << 8) | seg[2]!;
      const width = (seg[3]! << 8) | seg[4]!;
      const n = seg[5]!;
      if (precision !== 8) throw new ImageDamage(`${precision}-bit samples are not supported`);
      if (width === 0 || height === 0) throw new ImageDamage(`bad size ${width}x${height}`);
      if (n !== 1 && n !== 3 && n !== 4) throw new ImageDamage(`${n} colour components`);
      if (seg.length !== 6 + 3 * n) throw new ImageDamage('frame header length does not match its components');
      const ids = new Set<number>();
      let hMax = 1;
      let vMax = 1;
      for (let c = 0; c < n; c++) {
        const id = seg[6 + 3 * c]!;
        const sampling = seg[7 + 3 * c]!;
        const q = seg[8 + 3 * c]!;
        if (ids.has(id)) throw new ImageDamage(`component ${id} given twice`);
        const h = sampling >> 4;
        const v = sampling & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4 || q > 3) throw new ImageDamage(`bad sampling or table of component ${id}`);
        ids.add(id);
        hMax = Math.max(hMax, h);
        vMax = Math.max(vMax, v);
      }
      tooLarge({ width, height }, maxPixels);
      frame = { width, height, ids, hMax, vMax };
    } else if (SOF_OTHER.has(marker)) {
      throw new ImageDamage('lossless, hierarchical or arithmetic-coded JPEGs are not supported');
    } else if (marker === 0xdb) {
      let p = 0;
      if (seg.length === 0) throw new ImageDamage('empty quantization table segment');
      while (p < seg.length) {
        const spec = seg[p]!;
        const size = 1 + 64 * ((spec >> 4) === 0 ? 1 : 2);
        if (spec >> 4 > 1 || (spec & 15) > 3 || p + size > seg.length) throw new ImageDamage('bad quantization table');
        quantTables.add(spec & 15);
        p += size;
      }
    } else if (marker === 0xc4) {
      let p = 0;
      if (seg.length === 0) throw new ImageDamage('empty Huffman table segment');
      while (p < seg.length) {
        const spec = seg[p]!;
        if (p + 17 > seg.length || spec >> 4 > 1 || (spec & 15) > 3) throw new ImageDamage('bad Huffman table');
        let count = 0;
        for (let i = 1; i <= 16; i++) count += seg[p + i]!;
        if (count === 0 || count > 256 || p + 17 + count > seg.length) throw new ImageDamage('bad Huffman table');
        (spec >> 4 === 0 ? dcTables : acTables).add(spec & 15);
        p += 17 + count;
      }
    } else if (marker === 0xdd) {
      if (seg.length !== 2) throw new ImageDamage('bad restart interval segment');
    } else if (marker === 0xda) {
      if (frame === undefined) throw new ImageDamage('a scan before the frame header');
      const n = seg[0] ?? 0;
      if (n < 1 || n > 4 || seg.length !== 4 + 2 * n) throw new ImageDamage('bad scan header');
      for (let c = 0; c < n; c++) {
        const id = seg[1 + 2 * c]!;
        const tables = seg[2 + 2 * c]!;
        if (!frame.ids.has(id)) throw new ImageDamage(`a scan names component ${id}, which the frame does not have`);
        const ss = seg[1 + 2 * n]!;
        const se = seg[2 + 2 * n]!;
        const ah = seg[3 + 2 * n]! >> 4;
        // A first DC scan decodes with a DC table; any scan reaching past coefficient 0 with an AC table.
        if (ss === 0 && ah === 0 && !dcTables.has(tables >> 4)) throw new ImageDamage('a scan uses an undefined Huffman table');
        if (se > 0 && !acTables.has(tables & 15)) throw new ImageDamage('a scan uses an undefined Huffman table');
      }
      if (quantTables.size === 0) throw new ImageDamage('no quantization table before the scan');
      scans++;
      // Entropy-coded data runs to the next marker that is neither a stuffed zero nor a restart.
      const scanStart = pos;
      while (pos < bytes.length) {
        if (bytes[pos] !== 0xff) {
          pos++;
          continue;
        }
        const next = bytes[pos + 1];
        if (next === undefined) break;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          pos += 2;
          continue;
        }
        if (next === 0xff) {
          pos++;
          continue;
        }
        break;
      }
      codedBytes += pos - scanStart;
    } else if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe || marker === 0xdc || marker === 0xcc)) {
      throw new ImageDamage(`unknown marker FF${marker.toString(16).toUpperCase()}`);
    }
  }
  if (frame === undefined) throw new ImageDamage('no frame header (SOF)');
  if (scans === 0) throw new ImageDamage('no scan (SOS): the file holds no image data');
  // Every MCU is coded with at least one Huffman code, so at least one bit: a header
  // declaring far more MCUs than the coded data has bits is refused before decoding.
  const mcus = Math.ceil(frame.width / (8 * frame.hMax)) * Math.ceil(frame.height / (8 * frame.vMax));
  if (codedBytes * 8 < mcus) {
    throw new ImageDamage(`its ${frame.width}x${frame.height} header needs at least ${Math.ceil(mcus / 8)} bytes of coded data, the file has ${codedBytes}`);
  }
  return { width: frame.width, height: frame.height };
}

/**
 * Checks a WebP file's RIFF container (sizes that fit the file, a VP8, VP8L or VP8X first
 * chunk) and reads its size from that chunk, refusing animations (their frames are not one
 * picture) and pictures above `maxPixels` before the decoder allocates anything.
 */
export function checkWebp(bytes: Uint8Array, maxPixels: number): ImageSize {
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WEBP') throw new ImageDamage('not a WebP file (no RIFF WEBP header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffSize = view.getUint32(4, true);
  if (riffSize + 8 > bytes.length) throw new ImageDamage(`truncated: its RIFF header promises ${riffSize + 8} bytes, the file has ${bytes.length}`);
  if (riffSize + 8 < bytes.length) throw new ImageDamage(`${bytes.length - riffSize - 8} bytes after the RIFF container`);
  if (bytes.length < 20) throw new ImageDamage('truncated (no image chunk)');
  const chunk = tag(12);
  const length = view.getUint32(16, true);
  if (20 + length > bytes.length) throw new ImageDamage(`chunk ${chunk.trim()} runs past the end of the file (truncated)`);
  const data = bytes.subarray(20, 20 + length);
  let size: ImageSize;
  if (chunk === 'VP8 ') {
    // A key frame: 3 bytes of frame tag, the start code 9D 01 2A, then 14-bit width and height.
    if (data.length < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) throw new ImageDamage('bad VP8 frame header');
    size = { width: (data[6]! | (data[7]! << 8)) & 0x3fff, height: (data[8]! | (data[9]! << 8)) & 0x3fff };
  } else if (chunk === 'VP8L') {
    if (data.length < 5 || data[0] !== 0x2f) throw new ImageDamage('bad VP8L header');
    const bits = data[1]! | (data[2]! << 8) | (data[3]! << 16) | (data[4]! << 24);
    size = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  } else if (chunk === 'VP8X') {
    if (data.length < 10) throw new ImageDamage('bad VP8X header');
    if ((data[0]! & 0x02) !== 0) throw new ImageDamage('an animated WebP; only still pictures are read');
    size = { width: (data[4]! | (data[5]! << 8) | (data[6]! << 16)) + 1, height: (data[7]! | (data[8]! << 8) | (data[9]! << 16)) + 1 };
  } else {
    throw new ImageDamage(`unknown first chunk ${JSON.stringify(chunk)}`);
  }
  if (size.width === 0 || size.height === 0) throw new ImageDamage(`bad size ${size.width}x${size.height}`);
  tooLarge(size, maxPixels);
  return size;
}
