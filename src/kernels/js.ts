/**
 * Portable kernels in plain TypeScript: the reference implementation, the browser's path,
 * and the fallback wherever the native addon cannot build.
 *
 * Speed notes: the matrix product packs both operands so that the shared dimension k is
 * contiguous in memory, then computes 4 x 4 blocks of C as dot products kept in 16 local
 * variables (V8 keeps them in registers), which loads 8 values per 16 multiply-adds. Columns
 * of C are taken in panels whose packed B fits in the L2 cache. Scratch buffers are reused
 * across calls, so the hot loop allocates nothing.
 */
import type { Kernels } from './kernels.js';
import { jsConvKernels } from './js-conv.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Half a grey level on the [0, 1] scale: 8-bit value k sits at k / 255, its bin spans k / 255 +- 1 / 510. */
const HALF_BIN = 1 / 510;

/** log sigmoid(t) = -log(1 + exp(-t)), without overflow either way. */
function logSigmoid(t: number): number {
  return t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t));
}

function sigmoidOf(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/** The 8-bit value k of x = k / 255 (rounded, and kept in 0..255). */
function greyLevel(x: number): number {
  const k = Math.round(x * 255);
  return k < 0 ? 0 : k > 255 ? 255 : k;
}

/**
 * Kernels whose portable version every provider runs: the discretized logistic likelihood
 * has no native or wasm loop yet. It costs a few exp and log per value, far less than the
 * transposed convolutions that produce its inputs, so it is not where a step's time goes;
 * it moves into the addon's table when a measure says otherwise.
 */
export const PORTABLE_KERNELS = ['logisticNll', 'logisticNllBackward'] as const;

let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);

function scratch(which: 'a' | 'b', size: number): Float32Array {
  if (which === 'a') {
    if (scratchA.length < size) scratchA = new Float32Array(size);
    return scratchA;
  }
  if (scratchB.length < size) scratchB = new Float32Array(size);
  return scratchB;
}

/** dst[c * rows + r] = src[r * cols + c]: a rows x cols matrix transposed, tiled for cache. */
function transpose(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  transposeColumns(src, rows, cols, 0, cols, dst);
}

/**
 * dst[(c - c0) * rows + r] = src[r * cols + c] for columns c0 <= c < c1: a band of columns of
 * a rows x cols matrix, transposed (each column becomes a contiguous row), tiled for cache.
 */
export function transposeColumns(
  src: Float32Array,
  rows: number,
  cols: number,
  c0: number,
  c1: number,
  dst: Float32Array,
): void {
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let t0 = c0; t0 < c1; t0 += T) {
      const t1 = Math.min(t0 + T, c1);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = t0; c < t1; c++) dst[(c - c0) * rows + r] = src[base + c]!;
      }
    }
  }
}

/** Column panel width: n-panel of packed B (panel * k floats) stays within ~256 KB. */
function panelWidth(k: number): number {
  const w = Math.floor(65536 / Math.max(k, 1));
  return Math.max(4, w - (w % 4));
}

/**
 * C[m x n] = alpha * A'[m x k] * B'[n x k]^T + beta * C, both operands k-contiguous; rows of
 * C are `ldc` apart. (Exported for the threaded variant, which gives each thread a band of
 * columns.)
 */
export function gemmPackedNT(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  beta: number,
  c: Float32Array,
  ldc = n,
): void {
  const panel = panelWidth(k);
  const m4 = m - (m % 4);
  for (let j0 = 0; j0 < n; j0 += panel) {
    const j1 = Math.min(j0 + panel, n);
    const j4 = j0 + (j1 - j0) - ((j1 - j0) % 4);
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k;
      const a1 = a0 + k;
      const a2 = a1 + k;
      const a3 = a2 + k;
      let j = j0;
      for (; j < j4; j += 4) {
        const b0 = j * k;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0; p < k; p++) {
          const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
          const y0 = b[b0 + p]!, y1 = b[b1 + p]!, y2 = b[b2 + p]!, y3 = b[b3 + p]!;
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        store4(c, i * ldc + j, alpha, beta, c00, c01, c02, c03);
        store4(c, (i + 1) * ldc + j, alpha, beta, c10, c11, c12, c13);
        store4(c, (i + 2) * ldc + j, alpha, beta, c20, c21, c22, c23);
        store4(c, (i + 3) * ldc + j, alpha, beta, c30, c31, c32, c33);
      }
      for (; j < j1; j++) {
        for (let r = 0; r < 4; r++) dotInto(c, (i + r) * ldc + j, a, (i + r) * k, b, j * k, k, alpha, beta);
      }
    }
    for (let i = m4; i < m; i++) {
      for (let j = j0; j < j1; j++) dotInto(c, i * ldc + j, a, i * k, b, j * k, k, alpha, beta);
    }
  }
}

function store4(
  c: Float32Array,
  at: number,
  alpha: number,
  beta: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  if (beta === 0) {
    c[at] = alpha * v0;
    c[at + 1] = alpha * v1;
    c[at + 2] = alpha * v2;
    c[at + 3] = alpha * v3;
  } else {
    c[at] = alpha * v0 + beta * c[at]!;
    c[at + 1] = alpha * v1 + beta * c[at + 1]!;
    c[at + 2] = alpha * v2 + beta * c[at + 2]!;
    c[at + 3] = alpha * v3 + beta * c[at + 3]!;
  }
}

function dotInto(
  c: Float32Array,
  at: number,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  k: number,
  alpha: number,
  beta: number,
): void {
  let s = 0;
  for (let p = 0; p < k; p++) s += a[aOff + p]! * b[bOff + p]!;
  c[at] = beta === 0 ? alpha * s : alpha * s + beta * c[at]!;
}


export const jsKernels: Kernels = {
  name: 'js',
  ...jsConvKernels,

  gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
    // Bring A to m x k and B to n x k (k contiguous in both), then one kernel does the rest.
    let ap = a;
    if (transA) {
      ap = scratch('a', m * k);
      transpose(a, k, m, ap);
    }
    let bp = b;
    if (!transB) {
      bp = scratch('b', n * k);
      transpose(b, k, n, bp);
    }
    gemmPackedNT(m, n, k, alpha, ap, bp, beta, c);
  },

  addBias(y, bias, rows, cols, relu) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      if (relu) {
        for (let j = 0; j < cols; j++) {
          const v = y[base + j]! + bias[j]!;
          y[base + j] = v > 0 ? v : 0;
        }
      } else {
        for (let j = 0; j < cols; j++) y[base + j]! += bias[j]!;
      }
    }
  },

  biasActivationBackward(y, g, rows, cols, relu, gPre, gBias) {
    const n = rows * cols;
    if (relu) for (let i = 0; i < n; i++) gPre[i] = y[i]! > 0 ? g[i]! : 0;
    else if (gPre !== g) gPre.set(g.subarray(0, n));
    if (gBias !== null) this.sumRowsInto(gPre, rows, cols, gBias);
  },

  sumRowsInto(g, rows, cols, out) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) out[j]! += g[base + j]!;
    }
  },

  relu(x, out) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v > 0 ? v : 0;
    }
  },

  reluBackward(y, gy, gx) {
    for (let i = 0; i < y.length; i++) if (y[i]! > 0) gx[i]! += gy[i]!;
  },

  bceWithLogits(logits, targets, rows, cols, out, delta) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const x = logits[base + j]!;
        const t = targets[base + j]!;
        const e = Math.exp(-Math.abs(x));
        s += (x > 0 ? x : 0) - x * t + Math.log1p(e);
        // sigmoid(x) computed on the side where exp cannot overflow
        if (delta) delta[base + j] = (x >= 0 ? 1 / (1 + e) : e / (1 + e)) - t;
      }
      out[i] = s;
    }
  },

  bceWithLogitsBackward(logits, targets, gRow, rows, cols, gLogits, gTargets, delta) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      const g = gRow[i]!;
      for (let j = 0; j < cols; j++) {
        const x = logits[base + j]!;
        if (gLogits) {
          if (delta) {
            gLogits[base + j]! += g * delta[base + j]!;
          } else {
            const e = Math.exp(-Math.abs(x));
            const s = x >= 0 ? 1 / (1 + e) : e / (1 + e);
            gLogits[base + j]! += g * (s - targets[base + j]!);
          }
        }
        if (gTargets) gTargets[base + j]! -= g * x;
      }
    }
  },

  gaussianKl(mu, logvar, rows, cols, out) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const m = mu[base + j]!;
        const lv = logvar[base + j]!;
        s += m * m + Math.exp(lv) - 1 - lv;
      }
      out[i] = 0.5 * s;
    }
  },

  gaussianKlBackward(mu, logvar, gRow, rows, cols, gMu, gLogvar) {
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      const g = gRow[i]!;
      for (let j = 0; j < cols; j++) {
        if (gMu) gMu[base + j]! += g * mu[base + j]!;
        if (gLogvar) gLogvar[base + j]! += g * 0.5 * (Math.exp(logvar[base + j]!) - 1);
      }
    }
  },

  reparameterize(mu, logvar, eps, z) {
    for (let i = 0; i < z.length; i++) z[i] = mu[i]! + Math.exp(0.5 * logvar[i]!) * eps[i]!;
  },

  reparameterizeBackward(logvar, eps, gz, gMu, gLogvar) {
    for (let i = 0; i < gz.length; i++) {
      const g = gz[i]!;
      if (gMu) gMu[i]! += g;
      if (gLogvar) gLogvar[i]! += g * eps[i]! * 0.5 * Math.exp(0.5 * logvar[i]!);
    }
  },

  gaussianNll(mean, logvar, x, rows, cols, out) {
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = i * cols; j < (i + 1) * cols; j++) {
        const d = x[j]! - mean[j]!;
        s += LOG_2PI + logvar[j]! + d * d * Math.exp(-logvar[j]!);
      }
      out[i] = 0.5 * s;
    }
  },

  gaussianNllBackward(mean, logvar, x, gRow, rows, cols, gMean, gLogvar, gX) {
    for (let i = 0; i < rows; i++) {
      const g = gRow[i]!;
      for (let j = i * cols; j < (i + 1) * cols; j++) {
        const e = Math.exp(-logvar[j]!);
        const d = x[j]! - mean[j]!;
        if (gMean) gMean[j]! -= g * d * e;
        if (gLogvar) gLogvar[j]! += g * 0.5 * (1 - d * d * e);
        if (gX) gX[j]! += g * d * e;
      }
    }
  },

  logisticNll(mean, logScale, x, rows, cols, out) {
    // With a = (x - m + h) / s, b = (x - m - h) / s and d = a - b = 2h / s, the bin's mass is
    // sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - exp(-d)): every factor's log is
    // stable, so no fallback to the density is needed where the bin is tiny against s.
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = i * cols; j < (i + 1) * cols; j++) {
        const k = greyLevel(x[j]!);
        const inv = Math.exp(-logScale[j]!);
        const centred = k / 255 - mean[j]!;
        if (k < 255) s -= logSigmoid((centred + HALF_BIN) * inv);
        if (k > 0) s -= logSigmoid(-(centred - HALF_BIN) * inv);
        if (k > 0 && k < 255) s -= Math.log(-Math.expm1(-2 * HALF_BIN * inv));
      }
      out[i] = s;
    }
  },

  logisticNllBackward(mean, logScale, x, gRow, rows, cols, gMean, gLogScale) {
    for (let i = 0; i < rows; i++) {
      const g = gRow[i]!;
      for (let j = i * cols; j < (i + 1) * cols; j++) {
        const k = greyLevel(x[j]!);
        const inv = Math.exp(-logScale[j]!);
        const centred = k / 255 - mean[j]!;
        let dm = 0;
        let dls = 0;
        if (k < 255) {
          const a = (centred + HALF_BIN) * inv;
          const q = sigmoidOf(-a);
          dm += q * inv;
          dls += a * q;
        }
        if (k > 0) {
          const b = (centred - HALF_BIN) * inv;
          const p = sigmoidOf(b);
          dm -= p * inv;
          dls -= b * p;
        }
        if (k > 0 && k < 255) {
          const d = 2 * HALF_BIN * inv;
          dls += d / Math.expm1(d);
        }
        if (gMean) gMean[j]! += g * dm;
        if (gLogScale) gLogScale[j]! += g * dls;
      }
    }
  },

  adamUpdate(params, grads, ms, vs, lr, beta1, beta2, eps, step) {
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let k = 0; k < params.length; k++) {
      const param = params[k]!;
      const grad = grads[k]!;
      const m = ms[k]!;
      const v = vs[k]!;
      const n = param.length;
      for (let i = 0; i < n; i++) {
        const g = grad[i]!;
        const mi = beta1 * m[i]! + c1 * g;
        const vi = beta2 * v[i]! + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i]! -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
      }
    }
  },
};
