/**
 * Colors. The ten class colors are the widely used "category10" set (the d3 and matplotlib
 * default): chosen to stay apart from one another, including for the common color
 * deficiencies, better than evenly spaced hues do.
 */
export const CLASS_COLORS = [
  '#1f77b4', // blue
  '#ff7f0e', // orange
  '#2ca02c', // green
  '#d62728', // red
  '#9467bd', // purple
  '#8c564b', // brown
  '#e377c2', // pink
  '#7f7f7f', // gray
  '#bcbd22', // olive
  '#17becf', // cyan
] as const;

export function classColor(label: number): string {
  return CLASS_COLORS[label % CLASS_COLORS.length]!;
}

export const INK = '#222222';
export const GRID = '#e6e6e6';
export const TRAIN_COLOR = CLASS_COLORS[0];
export const TEST_COLOR = CLASS_COLORS[1];
export const PRIOR_COLOR = '#111111';

/**
 * A sequential color map for non-negative quantities (dark = 0, bright = max), as anchors
 * interpolated in RGB: dark blue-violet through magenta and orange to pale yellow, so both
 * small and large values stay visible and the order reads without a legend.
 */
const SEQUENTIAL: Array<[number, number, number]> = [
  [12, 7, 46],
  [84, 18, 123],
  [165, 44, 118],
  [232, 93, 68],
  [252, 176, 60],
  [252, 253, 191],
];

/** RGB bytes for t in [0, 1] on the sequential map (clamped). */
export function sequentialColor(t: number): [number, number, number] {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (SEQUENTIAL.length - 1);
  const i = Math.min(SEQUENTIAL.length - 2, Math.floor(x));
  const f = x - i;
  const a = SEQUENTIAL[i]!;
  const b = SEQUENTIAL[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/**
 * A perceptually uniform map for measured quantities (colour bars): anchors of matplotlib's
 * viridis (van der Walt and Smith, 2015) at ninths of its range, interpolated in RGB. Its
 * lightness rises steadily from dark violet to yellow, so it reads in grey and for the common
 * colour deficiencies.
 */
const PERCEPTUAL: Array<[number, number, number]> = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

/** RGB bytes for t in [0, 1] on the perceptual map (clamped). */
export function perceptualColor(t: number): [number, number, number] {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (PERCEPTUAL.length - 1);
  const i = Math.min(PERCEPTUAL.length - 2, Math.floor(x));
  const f = x - i;
  const a = PERCEPTUAL[i]!;
  const b = PERCEPTUAL[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}
