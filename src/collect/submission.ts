/**
 * One submission of the collect page, from the bytes a phone sent to the sample that is
 * stored, with a refusal the sender can read for anything else: not a PNG (415), a damaged
 * or oversized PNG, or a blank drawing (400).
 */
import { PNG } from 'pngjs';
import { checkPng, ImageDamage } from '../data/image-header.js';
import { sampleFromDrawing, SAMPLE_FRAME, type SampleFrame } from './ink.js';

/** The pad sends 1024 x 256; a few times more either way is still a drawing, a poster is not. */
export const MAX_DRAWING_SIDE = 4096;
/**
 * 1 megapixel: four times the page's 1024 x 256 pad, 4 MB of RGBA while it is read. Decoding
 * runs on the server's one thread, so a phone sending the largest drawings at the rate limit
 * must not keep it busy: a 4-megapixel 16-bit PNG took about 2 s to decode here, a megapixel a quarter of that.
 */
export const MAX_DRAWING_PIXELS = 1_000_000;

/** Why a submission is not stored, with the HTTP status that says so. */
export class SubmissionRefused extends Error {
  override readonly name = 'SubmissionRefused';
  constructor(
    readonly status: 400 | 413 | 415 | 429,
    message: string,
  ) {
    super(message);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The stored sample (grey bytes of `frame`, ink 255) of a PNG drawing, or a SubmissionRefused. */
export function sampleFromPng(bytes: Uint8Array, frame: SampleFrame = SAMPLE_FRAME): Uint8Array {
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new SubmissionRefused(415, 'not a PNG image');
  }
  // Said as what it is, a drawing too large, before the full check would call it damaged.
  const declared = declaredSize(bytes);
  if (declared !== null) refuseOversized(declared);
  let size;
  try {
    size = checkPng(bytes, MAX_DRAWING_PIXELS);
  } catch (err) {
    if (err instanceof ImageDamage) throw new SubmissionRefused(400, `a damaged PNG: ${err.message}`);
    throw err;
  }
  refuseOversized(size);
  let decoded: PNG;
  try {
    decoded = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new SubmissionRefused(400, `a damaged PNG: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (decoded.width !== size.width || decoded.height !== size.height || decoded.data.length !== 4 * size.width * size.height) {
    throw new SubmissionRefused(400, 'a damaged PNG: its image data do not match its header');
  }
  const sample = sampleFromDrawing(decoded.data, decoded.width, decoded.height, frame);
  if (sample === null) throw new SubmissionRefused(400, 'the drawing is empty');
  return sample;
}

/** The width and height an IHDR chunk in its place (right after the signature) declares, or null. */
function declaredSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function refuseOversized(size: { width: number; height: number }): void {
  if (size.width > MAX_DRAWING_SIDE || size.height > MAX_DRAWING_SIDE) {
    throw new SubmissionRefused(400, `the drawing is ${size.width}x${size.height}; at most ${MAX_DRAWING_SIDE} pixels a side`);
  }
  if (size.width * size.height > MAX_DRAWING_PIXELS) {
    throw new SubmissionRefused(400, `the drawing is ${size.width}x${size.height}, more than ${MAX_DRAWING_PIXELS / 1e6} megapixel${MAX_DRAWING_PIXELS === 1e6 ? '' : 's'}`);
  }
}
