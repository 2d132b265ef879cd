export interface GridOptions {
  /** Images per grid row; default ceil(sqrt(count)). Ignored by imageRows. */
  cols?: number;
  /** Integer nearest-neighbor upscale factor; default 1. */
  scale?: number;
  /** Pixels of background between and around images; default 2. */
  padding?: number;
  /** Background gray in [0, 1]; default 0.5. */
  background?: number;
  /**
   * Channels of the source images: 1 (grey) or 3 (RGB, the channel planes one after another
   * in each image, CHW). Default 1. The grid comes out grey or RGB to match.
   */
  channels?: number;
}

/** A grid ready for encodePng: grey, or RGB with the channels interleaved per pixel. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/** The older name, from when every grid was grey. */
export type GrayImage = RasterImage;

/**
 * Source images: floats in [0, 1] (0 = black), or bytes 0..255 as a dataset holds them. Either
 * way CHW per image, images one after another.
 */
export type ImageValues = Float32Array | Uint8Array;

function toByte(v: number): number {
  // NaN would otherwise become 0 silently via the typed array; make that explicit.
  if (Number.isNaN(v)) return 0;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** The grid's channel count from the options: only grey and RGB images make sense here. */
function channelsOf(opts: GridOptions): 1 | 3 {
  const c = opts.channels ?? 1;
  if (c !== 1 && c !== 3) throw new RangeError(`channels must be 1 (grey) or 3 (RGB), got ${c}`);
  return c;
}

interface Canvas {
  image: RasterImage;
  /** Draw image number `index` of `source` into grid cell (row, col). */
  blit(source: ImageValues, index: number, row: number, col: number): void;
}

function makeCanvas(rows: number, cols: number, height: number, width: number, opts: GridOptions): Canvas {
  const channels = channelsOf(opts);
  const scale = opts.scale ?? 1;
  const padding = opts.padding ?? 2;
  const background = opts.background ?? 0.5;
  checkPositiveInt('scale', scale);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`padding must be a non-negative integer, got ${padding}`);
  if (!(background >= 0 && background <= 1)) throw new RangeError(`background must be in [0, 1], got ${background}`);

  const cellW = width * scale;
  const cellH = height * scale;
  const outW = cols * cellW + (cols + 1) * padding;
  const outH = rows * cellH + (rows + 1) * padding;
  const pixels = new Uint8Array(outW * outH * channels).fill(toByte(background));
  const plane = height * width;

  return {
    image: { width: outW, height: outH, channels, pixels },
    blit(source, index, row, col) {
      const x0 = padding + col * (cellW + padding);
      const y0 = padding + row * (cellH + padding);
      const base = index * plane * channels;
      const bytes = source instanceof Uint8Array;
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const s = source[base + c * plane + y * width + x]!;
            const v = bytes ? s : toByte(s);
            for (let dy = 0; dy < scale; dy++) {
              const start = ((y0 + y * scale + dy) * outW + x0 + x * scale) * channels + c;
              for (let dx = 0; dx < scale; dx++) pixels[start + dx * channels] = v;
            }
          }
        }
      }
    },
  };
}

/**
 * Tile `count` images (each opts.channels x height x width values, see ImageValues) into one
 * image. `images` may hold more than `count` images; the extras are ignored so a caller can
 * pass a whole batch.
 */
export function imageGrid(
  images: ImageValues,
  count: number,
  height: number,
  width: number,
  opts: GridOptions = {},
): RasterImage {
  checkPositiveInt('count', count);
  checkPositiveInt('height', height);
  checkPositiveInt('width', width);
  const channels = channelsOf(opts);
  if (images.length < count * channels * height * width) {
    throw new RangeError(`imageGrid: need ${count} images of ${channels}x${height}x${width}, got only ${images.length} values`);
  }
  const cols = opts.cols ?? Math.ceil(Math.sqrt(count));
  checkPositiveInt('cols', cols);
  const rows = Math.ceil(count / cols);
  const canvas = makeCanvas(rows, cols, height, width, opts);
  for (let i = 0; i < count; i++) canvas.blit(images, i, Math.floor(i / cols), i % cols);
  return canvas.image;
}

/**
 * One grid row per array, e.g. originals above their reconstructions, so
 * matching images line up in columns. Each array holds whole
 * channels*height*width images; a row with fewer than `countPerRow` leaves background cells at its
 * end, and images beyond `countPerRow` are ignored (as in imageGrid).
 */
export function imageRows(
  rowsOfImages: ImageValues[],
  countPerRow: number,
  height: number,
  width: number,
  opts: GridOptions = {},
): RasterImage {
  checkPositiveInt('countPerRow', countPerRow);
  checkPositiveInt('height', height);
  checkPositiveInt('width', width);
  if (rowsOfImages.length === 0) throw new RangeError('imageRows: need at least one row');
  const channels = channelsOf(opts);
  const valuesPerImage = channels * height * width;
  const counts = rowsOfImages.map((row, r) => {
    if (row.length % valuesPerImage !== 0) {
      throw new RangeError(`imageRows: row ${r} has ${row.length} values, not a multiple of ${channels}x${height}x${width}`);
    }
    return Math.min(countPerRow, row.length / valuesPerImage);
  });
  const canvas = makeCanvas(rowsOfImages.length, countPerRow, height, width, opts);
  rowsOfImages.forEach((row, r) => {
    for (let i = 0; i < counts[r]!; i++) canvas.blit(row, i, r, i);
  });
  return canvas.image;
}
