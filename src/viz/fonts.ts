/**
 * The typeface of every plot. Registered from the dejavu-fonts-ttf package under a name of
 * our own, so text looks the same on every machine and never depends on which fonts the
 * system happens to have (a machine without any would otherwise draw plots with no labels).
 */
import { createRequire } from 'node:module';
import { GlobalFonts } from '@napi-rs/canvas';

export const FONT_FAMILY = 'VaePlotSans';

let registered = false;

export function registerPlotFonts(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    const path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
    if (GlobalFonts.registerFromPath(path, FONT_FAMILY) === null) throw new Error(`cannot load the plot font ${path}`);
  }
  registered = true;
}

/** A CSS font string in the plot typeface. */
export function font(px: number, weight: 'normal' | 'bold' = 'normal'): string {
  return `${weight === 'bold' ? 'bold ' : ''}${px}px ${FONT_FAMILY}`;
}
