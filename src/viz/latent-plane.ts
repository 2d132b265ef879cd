/**
 * The plane in which latent codes are drawn. With a 2-D latent it is the latent space itself.
 * With more dimensions it is spanned by the first two principal directions of a set of codes
 * (the test set's posterior means), found by orthogonal iteration, deterministically.
 *
 * Codes are projected without subtracting their mean, z -> (v1 . z, v2 . z): the origin stays
 * the origin, and because v1 and v2 are orthonormal the prior N(0, I) projects to exactly
 * N(0, I) in the plane, so its 1-sigma and 2-sigma circles keep their meaning.
 */

export interface LatentPlane {
  /** The latent dimension the plane lives in. */
  latent: number;
  /** 'latent' when the plane is the 2-D latent space; 'pca' for principal directions. */
  kind: 'latent' | 'pca';
  /** Two orthonormal directions in latent space (row-major [2, latent]). */
  directions: Float64Array;
  /** Fraction of the codes' variance along each direction (pca only; 1 would be all of it). */
  explained: [number, number];
  /**
   * How far the codes reach along each direction: 1 for the latent plane itself (the prior's
   * scale); for pca, the codes' root mean square along each direction, so grids over the plane
   * cover where the codes are rather than a prior-sized patch of a wider cloud.
   */
  reach: [number, number];
  xLabel: string;
  yLabel: string;
}

/** Builds the plane for codes `z` ([count, latent], row-major). */
export function latentPlane(z: Float32Array, count: number, latent: number): LatentPlane {
  if (latent === 2) {
    return { latent, kind: 'latent', directions: Float64Array.from([1, 0, 0, 1]), explained: [NaN, NaN], reach: [1, 1], xLabel: 'z\u2081', yLabel: 'z\u2082' };
  }
  if (latent === 1) {
    // One dimension: the second axis carries nothing, and says so.
    return { latent, kind: 'latent', directions: Float64Array.from([1, 0]), explained: [NaN, NaN], reach: [1, 1], xLabel: 'z\u2081', yLabel: '(latent is 1-D)' };
  }
  const { directions, explained } = principalDirections(z, count, latent);
  const pct = (f: number): string => `${(100 * f).toFixed(0)}% of variance`;
  const plane: LatentPlane = { latent, kind: 'pca', directions, explained, reach: [1, 1], xLabel: `PC1 (${pct(explained[0])})`, yLabel: `PC2 (${pct(explained[1])})` };
  const { x, y } = project(plane, z, count);
  const rms = (v: Float64Array): number => Math.sqrt(v.reduce((s, a) => s + a * a, 0) / Math.max(1, v.length)) || 1;
  plane.reach = [rms(x), rms(y)];
  return plane;
}

/** The plane coordinates of codes `z` ([count, latent]) as two arrays. */
export function project(plane: LatentPlane, z: Float32Array, count: number): { x: Float64Array; y: Float64Array } {
  const L = plane.latent;
  const d = plane.directions;
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < L; j++) {
      const v = z[i * L + j]!;
      a += d[j]! * v;
      b += d[L + j]! * v;
    }
    x[i] = a;
    y[i] = b;
  }
  return { x, y };
}

/** The latent code at plane coordinates (a, b): a v1 + b v2. */
export function embed(plane: LatentPlane, a: number, b: number, out: Float32Array, offset = 0): void {
  const L = plane.latent;
  for (let j = 0; j < L; j++) out[offset + j] = a * plane.directions[j]! + b * plane.directions[L + j]!;
}

const MAX_ITERATIONS = 2000;

/**
 * The two leading eigenvectors of the codes' covariance, by orthogonal iteration
 * V <- orth(C V) with C V computed from the centered data as X^T (X V) / n, so no L x L
 * matrix is formed; then a 2 x 2 Rayleigh-Ritz step orders the pair. Each vector's sign is
 * fixed so its largest entry is positive, which makes the result a function of the data alone.
 */
export function principalDirections(z: Float32Array, count: number, latent: number): { directions: Float64Array; explained: [number, number] } {
  const L = latent;
  if (count < 1) throw new RangeError('principalDirections: need at least one code');
  const mean = new Float64Array(L);
  for (let i = 0; i < count; i++) for (let j = 0; j < L; j++) mean[j]! += z[i * L + j]!;
  for (let j = 0; j < L; j++) mean[j]! /= count;
  const x = new Float64Array(count * L);
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < L; j++) {
      const v = z[i * L + j]! - mean[j]!;
      x[i * L + j] = v;
      total += v * v;
    }
  }
  total /= count;

  const times = (v: Float64Array): Float64Array => {
    // C v = X^T (X v) / n for one vector v.
    const out = new Float64Array(L);
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let j = 0; j < L; j++) s += x[i * L + j]! * v[j]!;
      for (let j = 0; j < L; j++) out[j]! += x[i * L + j]! * s;
    }
    for (let j = 0; j < L; j++) out[j]! /= count;
    return out;
  };

  // Start from the coordinate axes of largest and second-largest variance, slightly mixed with
  // every axis so that neither start is orthogonal to a leading direction.
  const variance = new Float64Array(L);
  for (let i = 0; i < count; i++) for (let j = 0; j < L; j++) variance[j]! += x[i * L + j]! ** 2;
  const order = [...variance.keys()].sort((a, b) => variance[b]! - variance[a]! || a - b);
  let v1: Float64Array = new Float64Array(L).fill(1e-3);
  let v2: Float64Array = new Float64Array(L).map((_, j) => 1e-3 * (j % 2 === 0 ? 1 : -1));
  v1[order[0]!] = 1;
  v2[order[1]!] = 1;
  [v1, v2] = orthonormalize(v1, v2);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const [n1, n2] = orthonormalize(times(v1), times(v2));
    const change = 2 - Math.abs(dot(n1, v1)) - Math.abs(dot(n2, v2));
    v1 = n1;
    v2 = n2;
    if (change < 1e-12) break;
  }
  // Rayleigh-Ritz: the best-ordered orthonormal pair within span{v1, v2}.
  const c1 = times(v1);
  const c2 = times(v2);
  const a = dot(v1, c1);
  const b = dot(v1, c2);
  const d = dot(v2, c2);
  const theta = 0.5 * Math.atan2(2 * b, a - d);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const u1 = v1.map((v, j) => cos * v + sin * v2[j]!);
  const u2 = v1.map((v, j) => -sin * v + cos * v2[j]!);
  const lambda1 = dot(u1, times(u1));
  const lambda2 = dot(u2, times(u2));
  const [first, second, l1, l2] = lambda1 >= lambda2 ? [u1, u2, lambda1, lambda2] : [u2, u1, lambda2, lambda1];
  fixSign(first);
  fixSign(second);
  const directions = new Float64Array(2 * L);
  directions.set(first, 0);
  directions.set(second, L);
  return { directions, explained: total > 0 ? [l1 / total, l2 / total] : [0, 0] };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalize(v: Float64Array): Float64Array {
  const n = Math.sqrt(dot(v, v));
  if (n === 0) {
    // A direction with no variance at all: any unit vector serves; take the first axis.
    const e = new Float64Array(v.length);
    e[0] = 1;
    return e;
  }
  return v.map((x) => x / n);
}

function orthonormalize(a: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
  const u = normalize(a);
  const p = dot(u, b);
  let w = b.map((x, j) => x - p * u[j]!);
  if (Math.sqrt(dot(w, w)) < 1e-12) {
    // b lies along a: any unit vector orthogonal to u will do; build one from the axis where u is smallest.
    const j = [...u.keys()].sort((i, k) => Math.abs(u[i]!) - Math.abs(u[k]!) || i - k)[0]!;
    const e = new Float64Array(u.length);
    e[j] = 1;
    const q = dot(u, e);
    w = e.map((x, i) => x - q * u[i]!);
  }
  return [u, normalize(w)];
}

function fixSign(v: Float64Array): void {
  let k = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]!) > Math.abs(v[k]!) + 1e-12) k = j;
  if (v[k]! < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j]!;
}
