/**
 * Which latent dimension goes with which measure of an image, as statistics of the encoded
 * data. Each variable is a column of n observations (the posterior means of one latent
 * dimension, or one measure of every image).
 *
 *  - Partial correlation of z_d and a measure m given the other latent dimensions: the
 *    correlation of what is left of z_d and of m once each is regressed on the rest. It is read
 *    off the inverse P of the correlation matrix of (z_1..z_L, m) as
 *      r(z_d, m | rest) = -P[d, m] / sqrt(P[d, d] P[m, m])
 *    (e.g. Whittaker 1990, "Graphical models in applied multivariate statistics", ch. 5).
 *    Where latent dimensions are correlated with each other, a plain correlation credits every
 *    one of them with the measure; the partial one credits the dimension that carries it.
 *  - The direction in latent space that best predicts m: the least-squares coefficients of m on
 *    z (with an intercept), as a unit vector, and the multiple correlation R of that fit.
 *
 * A variable that does not vary (a collapsed latent dimension) gets correlation 0 with every
 * other, so it neither takes nor gives credit.
 *
 * Both need more observations than variables: with n <= L + 1 rows the L latent columns and an
 * intercept fit any measure exactly, so every partial correlation and every R comes out +-1 and
 * says nothing. Too few rows give 0 (no credit), as a measure that does not vary does.
 */

/** Keeps the inverse finite when latent dimensions are nearly collinear; far below any correlation that matters. */
const RIDGE = 1e-9;

interface Standardized {
  /** (x - mean) / sd, or all zeros when the column does not vary. */
  z: Float64Array;
  mean: number;
  sd: number;
}

function standardize(column: ArrayLike<number>): Standardized {
  const n = column.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += column[i]!;
  mean /= Math.max(1, n);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (column[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n));
  const z = new Float64Array(n);
  // Relative to the mean's size, so a constant column stays constant despite rounding.
  if (sd > 1e-12 * Math.max(1, Math.abs(mean))) for (let i = 0; i < n; i++) z[i] = (column[i]! - mean) / sd;
  return { z, mean, sd: z.some((v) => v !== 0) ? sd : 0 };
}

/** The correlation matrix (k x k, row-major) of standardized columns, with 1 on the diagonal. */
function correlationMatrix(columns: Float64Array[]): Float64Array {
  const k = columns.length;
  const n = columns[0]?.length ?? 0;
  const r = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    r[a * k + a] = 1;
    for (let b = a + 1; b < k; b++) {
      const x = columns[a]!;
      const y = columns[b]!;
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
      const v = n > 0 ? s / n : 0;
      r[a * k + b] = v;
      r[b * k + a] = v;
    }
  }
  return r;
}

/** The inverse of a symmetric positive (semi-)definite k x k matrix, by Gauss-Jordan with partial pivoting. */
export function invertMatrix(matrix: Float64Array, k: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let row = col + 1; row < k; row++) if (Math.abs(a[row * k + col]!) > Math.abs(a[pivot * k + col]!)) pivot = row;
    if (a[pivot * k + col] === 0) throw new RangeError('invertMatrix: the matrix is singular');
    if (pivot !== col) {
      for (let j = 0; j < k; j++) {
        [a[col * k + j], a[pivot * k + j]] = [a[pivot * k + j]!, a[col * k + j]!];
        [inv[col * k + j], inv[pivot * k + j]] = [inv[pivot * k + j]!, inv[col * k + j]!];
      }
    }
    const p = a[col * k + col]!;
    for (let j = 0; j < k; j++) {
      a[col * k + j]! /= p;
      inv[col * k + j]! /= p;
    }
    for (let row = 0; row < k; row++) {
      if (row === col) continue;
      const f = a[row * k + col]!;
      if (f === 0) continue;
      for (let j = 0; j < k; j++) {
        a[row * k + j]! -= f * a[col * k + j]!;
        inv[row * k + j]! -= f * inv[col * k + j]!;
      }
    }
  }
  return inv;
}

/** Pearson's correlation of two columns (0 when either does not vary). */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`correlation: ${x.length} against ${y.length} values`);
  return correlationMatrix([standardize(x).z, standardize(y).z])[1]!;
}

/** Fewest rows from which partial correlations and a fit on `latents` columns tell anything: one more than the fit's parameters. */
export function minimumRows(latents: number): number {
  return latents + 2;
}

/** The rows where every given column is finite (a measure may be undefined for an image with no ink). */
function finiteRows(columns: ArrayLike<number>[], n: number): Uint32Array {
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (columns.every((c) => Number.isFinite(c[i]!))) keep.push(i);
  return Uint32Array.from(keep);
}

function pick(column: ArrayLike<number>, rows: Uint32Array): Float64Array {
  return Float64Array.from(rows, (i) => column[i]!);
}

/**
 * For every latent dimension d, the partial correlation of z_d with `measure` given the other
 * latent dimensions. `latents` holds one column per dimension. Rows where the measure (or a
 * latent) is not finite are left out.
 */
export function partialCorrelations(latents: ArrayLike<number>[], measure: ArrayLike<number>): number[] {
  const L = latents.length;
  const n = measure.length;
  for (const c of latents) if (c.length !== n) throw new RangeError(`partialCorrelations: a latent column has ${c.length} values, the measure ${n}`);
  const rows = finiteRows([...latents, measure], n);
  if (rows.length < Math.max(3, minimumRows(L))) return new Array<number>(L).fill(0);
  const columns = [...latents, measure].map((c) => standardize(pick(c, rows)).z);
  const k = L + 1;
  const r = correlationMatrix(columns);
  for (let i = 0; i < k; i++) r[i * k + i]! += RIDGE;
  const p = invertMatrix(r, k);
  const m = L;
  return Array.from({ length: L }, (_, d) => {
    const v = -p[d * k + m]! / Math.sqrt(p[d * k + d]! * p[m * k + m]!);
    // Rounding can carry |r| a hair past 1 for a measure that is an exact linear function of z.
    return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) + 0 : 0; // + 0: no -0
  });
}

export interface Direction {
  /** Unit vector in latent space along which the measure grows fastest in the linear fit (zeros if it does not vary). */
  vector: number[];
  /** Multiple correlation R of the fit: the correlation of the measure with its prediction, in [0, 1]. */
  r: number;
  /** Change of the measure per unit step along `vector`, in the measure's units. */
  slope: number;
}

/**
 * The least-squares fit m ~ b0 + b . z over the rows where everything is finite: the unit
 * vector of b, how well the fit predicts m, and the measure's change per unit of z along b.
 */
export function regressionDirection(latents: ArrayLike<number>[], measure: ArrayLike<number>): Direction {
  const L = latents.length;
  const n = measure.length;
  const rows = finiteRows([...latents, measure], n);
  if (rows.length < Math.max(3, minimumRows(L))) return { vector: new Array<number>(L).fill(0), r: 0, slope: 0 };
  const zs = latents.map((c) => standardize(pick(c, rows)));
  const ms = standardize(pick(measure, rows));
  if (ms.sd === 0) return { vector: new Array<number>(L).fill(0), r: 0, slope: 0 };
  // In standardized units: beta = Rzz^-1 rzm, R^2 = rzm . beta; back in data units b_d = beta_d sd_m / sd_d.
  const r = correlationMatrix([...zs.map((s) => s.z), ms.z]);
  const k = L + 1;
  const rzz = new Float64Array(L * L);
  for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) rzz[a * L + b] = r[a * k + b]! + (a === b ? RIDGE : 0);
  const rzm = Array.from({ length: L }, (_, d) => r[d * k + L]!);
  const inv = invertMatrix(rzz, L);
  const beta = Array.from({ length: L }, (_, a) => rzm.reduce((s, v, b) => s + inv[a * L + b]! * v, 0));
  const r2 = beta.reduce((s, b, d) => s + b * rzm[d]!, 0);
  const b = beta.map((v, d) => (zs[d]!.sd === 0 ? 0 : (v * ms.sd) / zs[d]!.sd));
  const norm = Math.hypot(...b);
  if (norm === 0) return { vector: b.map(() => 0), r: 0, slope: 0 };
  return { vector: b.map((v) => v / norm), r: Math.sqrt(Math.max(0, Math.min(1, r2))), slope: norm };
}
