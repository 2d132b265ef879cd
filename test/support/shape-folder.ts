/**
 * A small folder of colour shapes, the collection a new user tries first: discs in `circle/`
 * and squares in `square/`, each of a random colour, size and place on a light background,
 * as PNG files (writeShapesFolder). Seeded, so every call writes the same images.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/engine/random.js';
import { encodePng } from '../../src/viz/png.js';

export interface ShapesOptions {
  /** Images in all (half of each class); default 200. */
  count?: number;
  /** Side in pixels; default 48. */
  size?: number;
  seed?: number;
}

export function writeShapesFolder(dir: string, opts: ShapesOptions = {}): string {
  const count = opts.count ?? 200;
  const size = opts.size ?? 48;
  const rng = new Random(opts.seed ?? 7);
  for (const name of ['circle', 'square']) mkdirSync(join(dir, name), { recursive: true });
  for (let i = 0; i < count; i++) {
    const circle = i % 2 === 0;
    const colour = [rng.int(200), rng.int(200), rng.int(200)];
    const r = size * (0.15 + 0.15 * rng.uniform());
    const cx = r + rng.uniform() * (size - 2 * r);
    const cy = r + rng.uniform() * (size - 2 * r);
    const pixels = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const inside = circle ? dx * dx + dy * dy <= r * r : Math.abs(dx) <= r && Math.abs(dy) <= r;
        for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = inside ? colour[c]! : 235;
      }
    }
    const png = encodePng({ width: size, height: size, channels: 3, pixels });
    writeFileSync(join(dir, circle ? 'circle' : 'square', `${String(i).padStart(4, '0')}.png`), png);
  }
  return dir;
}
