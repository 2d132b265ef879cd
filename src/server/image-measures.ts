/**
 * What each test image shows, measured once for the explorer's "colour the dots by" control:
 * the Morpho-MNIST measures for glyph-like grey data (slant, thickness, ...), the picture
 * measures otherwise. A chunk at a time with the event loop free in between, since measuring
 * ten thousand glyphs takes tens of seconds and the server must keep answering meanwhile.
 */
import { imageFloats, type ImageDataset } from '../data/dataset.js';
import { measuresFor } from '../measure/index.js';

export interface ImageMeasures {
  names: string[];
  count: number;
  /** count x names.length values, row-major, rounded to what a colour map can show. */
  values: number[];
}

const CHUNK = 50;

export async function measureImagesAsync(test: ImageDataset, onProgress?: (imagesDone: number) => void): Promise<ImageMeasures> {
  const { channels, height, width } = test;
  const measures = measuresFor(test);
  const names = [...measures.names];
  const values: number[] = new Array<number>(test.count * names.length);
  for (let start = 0; start < test.count; start += CHUNK) {
    const end = Math.min(test.count, start + CHUNK);
    for (let i = start; i < end; i++) {
      const m = measures.measure(imageFloats(test, i), channels, height, width);
      names.forEach((name, k) => (values[i * names.length + k] = Number.isFinite(m[name]) ? Math.round(m[name]! * 1000) / 1000 : NaN));
    }
    onProgress?.(end);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { names, count: test.count, values };
}
