export interface GridOptions {
  /** Images per grid row; default ceil(sqrt(count)). Ignored by imageRows. */
  cols?: number;
  /** Integer nearest-neighbor upscale factor; default 1. */
  scale?: number;
  /** Pixels of background between and around images; default 2. */
  padding?: number;
  /** Background gray in [0, 1]; default 0.5. */
  background?: number;
}

export interface GrayImage {
  width: number;
  height: number;
  channels: 1;
  pixels: Uint8Array;
}

function toByte(v: number): number {
  // NaN would otherwise become 0 silently via the typed array; make that explicit.
  if (Number.isNaN(v)) return 0;
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

interface Canvas {
  image: GrayImage;
  /** Draw image number `index` of `source` into grid cell (row, col). */
  blit(source: Float32Array, index: number, row: number, col: number): void;
}

function makeCanvas(rows: number, cols: number, height: number, width: number, opts: GridOptions): Canvas {
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
  const pixels = new Uint8Array(outW * outH).fill(toByte(background));
  const pixelsPerImage = height * width;

  return {
    image: { width: outW, height: outH, channels: 1, pixels },
    blit(source, index, row, col) {
      const x0 = padding + col * (cellW + padding);
      const y0 = padding + row * (cellH + padding);
      const base = index * pixelsPerImage;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const v = toByte(source[base + y * width + x]!);
          for (let dy = 0; dy < scale; dy++) {
            const start = (y0 + y * scale + dy) * outW + x0 + x * scale;
            pixels.fill(v, start, start + scale);
          }
        }
      }
    },
  };
}

/**
 * Tile `count` grayscale images (row-major, each height*width values in [0, 1],
 * 0 = black) into one image. `images` may hold more than `count` images; the
 * extras are ignored so a caller can pass a whole batch.
 */
export function imageGrid(
  images: Float32Array,
  count: number,
  height: number,
  width: number,
  opts: GridOptions = {},
): GrayImage {
  checkPositiveInt('count', count);
  checkPositiveInt('height', height);
  checkPositiveInt('width', width);
  if (images.length < count * height * width) {
    throw new RangeError(`imageGrid: need ${count} images of ${height}x${width}, got only ${images.length} values`);
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
 * matching images line up in columns. Each array holds whole height*width
 * images; a row with fewer than `countPerRow` leaves background cells at its
 * end, and images beyond `countPerRow` are ignored (as in imageGrid).
 */
export function imageRows(
  rowsOfImages: Float32Array[],
  countPerRow: number,
  height: number,
  width: number,
  opts: GridOptions = {},
): GrayImage {
  checkPositiveInt('countPerRow', countPerRow);
  checkPositiveInt('height', height);
  checkPositiveInt('width', width);
  if (rowsOfImages.length === 0) throw new RangeError('imageRows: need at least one row');
  const pixelsPerImage = height * width;
  const counts = rowsOfImages.map((row, r) => {
    if (row.length % pixelsPerImage !== 0) {
      throw new RangeError(`imageRows: row ${r} has ${row.length} values, not a multiple of ${height}x${width}`);
    }
    return Math.min(countPerRow, row.length / pixelsPerImage);
  });
  const canvas = makeCanvas(rowsOfImages.length, countPerRow, height, width, opts);
  rowsOfImages.forEach((row, r) => {
    for (let i = 0; i < counts[r]!; i++) canvas.blit(row, i, r, i);
  });
  return canvas.image;
}
