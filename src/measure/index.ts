/** Which measures suit a dataset, and one function that takes any of its images. */
import { GLYPH_MEASURES, measureGlyph } from './glyph.js';
import { PICTURE_MEASURES, measurePicture } from './picture.js';

export { GLYPH_MEASURES, measureGlyph, glyphScale, type GlyphMeasure } from './glyph.js';
export { PICTURE_MEASURES, measurePicture, type PictureMeasure } from './picture.js';

export interface MeasureSet {
  /** Column names, in the order measure() returns them. */
  names: readonly string[];
  /** One image, channels x height x width values in [0, 1] (CHW). */
  measure(image: Float32Array, channels: number, height: number, width: number): Record<string, number>;
}

const glyphs: MeasureSet = {
  names: GLYPH_MEASURES,
  measure(image, channels, height, width) {
    return measureGlyph(channels === 1 ? image : grey(image, channels, height * width), height, width);
  },
};

const pictures: MeasureSet = { names: PICTURE_MEASURES, measure: measurePicture };

/**
 * The measures that suit a dataset: glyph measures (Morpho-MNIST) for grey glyph-like data
 * (noun 'digit', or grey data), picture measures otherwise. Colour digits are measured on
 * their luma.
 */
export function measuresFor(ds: { channels: number; description: { noun: 'digit' | 'image' } }): MeasureSet {
  return ds.channels === 1 || ds.description.noun === 'digit' ? glyphs : pictures;
}

/** Rec. 709 luma of a CHW colour image. */
function grey(image: Float32Array, channels: number, plane: number): Float32Array {
  if (channels !== 3) throw new RangeError(`measures: channels must be 1 or 3, got ${channels}`);
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) out[p] = 0.2126 * image[p]! + 0.7152 * image[plane + p]! + 0.0722 * image[2 * plane + p]!;
  return out;
}
