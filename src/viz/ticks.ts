/** Axis ticks at round numbers, as a person would label an axis by hand. */

export interface Ticks {
  values: number[];
  /** Distance between ticks: 1, 2 or 5 times a power of ten. */
  step: number;
}

/**
 * About `target` ticks covering [min, max] at multiples of a 1-2-5 step. Only ticks inside
 * the range are returned; a zero-width range is widened so there is always something to label.
 */
export function niceTicks(min: number, max: number, target = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`niceTicks: range must be finite, got [${min}, ${max}]`);
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
  const values: number[] = [];
  // Tolerance in steps, so ticks that land on an end despite rounding are kept.
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let i = first; i <= last; i++) values.push(cleanZero(i * step));
  return { values, step };
}

function cleanZero(v: number): number {
  return Object.is(v, -0) ? 0 : v;
}

/** Decimals needed to tell ticks `step` apart (0 for steps of 1 and more). */
export function decimalsFor(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** A tick label: fixed decimals fitting the step, with a true minus sign. */
export function formatTick(value: number, step: number): string {
  const text = value.toFixed(decimalsFor(step));
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text.replace('-', '\u2212');
}

/** A range with a margin on both sides, as fractions of its width. */
export function padRange(min: number, max: number, fraction = 0.05): [number, number] {
  const span = max - min || Math.abs(max) || 1;
  return [min - span * fraction, max + span * fraction];
}
