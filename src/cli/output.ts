/** Small helpers shared by the commands that write files. */
import { extname } from 'node:path';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { encodePng } from '../viz/png.js';
import type { RasterImage } from '../viz/grid.js';

/** Writes a PNG atomically, creating its folder; the path must end in .png. */
export function writePng(path: string, image: RasterImage): void {
  if (extname(path).toLowerCase() !== '.png') throw new UserError(`--out must name a .png file, got ${path}`);
  ensureParentDir(path);
  writeFileAtomic(path, encodePng(image));
}

/** A run folder name from the local time: runs/2026-11-25T07-05-09. */
export function timestampedRunDir(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  return `runs/${stamp}`;
}
