/**
 * Two-dimensional convolution and its transpose, on NCHW tensors, written as im2col plus
 * one matrix product, so that the heavy arithmetic goes through the kernels' gemm and runs
 * as fast as the provider's gemm does.
 *
 * im2col lays out, for every output position of every image, the input patch it sees:
 * a matrix `col` of [C * kh * kw, N * Ho * Wo]. Then
 *   conv2d:           y = W [O, C kh kw] x col                      (then bias)
 *   convTranspose2d:  col = W^T [Co kh kw, Ci] x x, folded back by col2im (the adjoint)
 * A transposed convolution is the backward pass of a convolution with respect to its input,
 * which is why the two ops share im2col and col2im and swap them in their backward passes.
 * Weights use PyTorch's layouts: Conv2d [O, C, kh, kw], ConvTranspose2d [Ci, Co, kh, kw].
 */
import { Tensor, gradTarget, kernels, result } from '../tensor.js';

export interface ConvOptions {
  stride?: number;
  padding?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra rows and columns on the bottom and right of the output, to pick among the sizes a stride allows. */
  outputPadding?: number;
}

/** Spatial size of a convolution's output. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Spatial size of a transposed convolution's output. */
export function convTransposeOutputSize(size: number, kernel: number, stride: number, padding: number, outputPadding: number): number {
  return (size - 1) * stride - 2 * padding + kernel + outputPadding;
}

/** The geometry of one im2col: images [N, C, H, W] seen through kh x kw windows giving Ho x Wo positions. */
interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
  ho: number;
  wo: number;
}

/** col[(c kh + i) kw + j, n Ho Wo + oy Wo + ox] = x[n, c, oy s - p + i, ox s - p + j], or 0 outside. */
function im2col(x: Float32Array, g: Geometry, col: Float32Array): void {
  const { n: N, c: C, h: H, w: W, kh, kw, stride: s, padding: p, ho: Ho, wo: Wo } = g;
  const P = Ho * Wo;
  const NP = N * P;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * NP;
        for (let n = 0; n < N; n++) {
          const img = (n * C + c) * H * W;
          const base = rowBase + n * P;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * s - p + i;
            const dst = base + oy * Wo;
            if (iy < 0 || iy >= H) {
              col.fill(0, dst, dst + Wo);
              continue;
            }
            const src = img + iy * W;
            for (let ox = 0; ox < Wo; ox++) {
              const ix = ox * s - p + j;
              col[dst + ox] = ix >= 0 && ix < W ? x[src + ix]! : 0;
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: every patch entry added back to the pixel it came from. */
function col2im(col: Float32Array, g: Geometry, x: Float32Array): void {
  const { n: N, c: C, h: H, w: W, kh, kw, stride: s, padding: p, ho: Ho, wo: Wo } = g;
  const P = Ho * Wo;
  const NP = N * P;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const rowBase = ((c * kh + i) * kw + j) * NP;
        for (let n = 0; n < N; n++) {
          const img = (n * C + c) * H * W;
          const base = rowBase + n * P;
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * s - p + i;
            if (iy < 0 || iy >= H) continue;
            const dst = img + iy * W;
            const src = base + oy * Wo;
            for (let ox = 0; ox < Wo; ox++) {
              const ix = ox * s - p + j;
              if (ix >= 0 && ix < W) x[dst + ix]! += col[src + ox]!;
            }
          }
        }
      }
    }
  }
}

/** [N, C, S] -> [C, N * S]: channels outermost, so one gemm covers the whole batch. */
function toChannelMajor(x: Float32Array, n: number, c: number, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) out.set(x.subarray((b * c + ch) * s, (b * c + ch + 1) * s), (ch * n + b) * s);
  }
  return out;
}

/** [C, N * S] -> [N, C, S], added into `out` when `accumulate`, else written. */
function fromChannelMajor(x: Float32Array, n: number, c: number, s: number, out: Float32Array, accumulate: boolean): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (ch * n + b) * s;
      const dst = (b * c + ch) * s;
      if (accumulate) for (let i = 0; i < s; i++) out[dst + i]! += x[src + i]!;
      else out.set(x.subarray(src, src + s), dst);
    }
  }
}

function addChannelBias(y: Float32Array, bias: Float32Array, n: number, c: number, s: number): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const v = bias[ch]!;
      const base = (b * c + ch) * s;
      for (let i = base; i < base + s; i++) y[i]! += v;
    }
  }
}

function channelBiasGrad(g: Float32Array, n: number, c: number, s: number, out: Float32Array): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * s;
      let acc = 0;
      for (let i = base; i < base + s; i++) acc += g[i]!;
      out[ch]! += acc;
    }
  }
}

function dims4(t: Tensor, what: string): [number, number, number, number] {
  if (t.rank !== 4) throw new RangeError(`${what} must have shape [N, C, H, W], got [${t.shape.join(', ')}]`);
  return t.shape as unknown as [number, number, number, number];
}

function checkStride(op: string, stride: number, padding: number): void {
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`${op}: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`${op}: padding must be a non-negative integer, got ${padding}`);
}

/** x [N, C, H, W], weight [O, C, kh, kw], bias [O] or null -> [N, O, Ho, Wo]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: ConvOptions = {}): Tensor {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 0;
  checkStride('conv2d', stride, padding);
  const [N, C, H, W] = dims4(x, 'conv2d: input');
  const [O, Cw, kh, kw] = dims4(weight, 'conv2d: weight');
  if (C !== Cw) throw new RangeError(`conv2d: input has ${C} channels, weight expects ${Cw}`);
  if (bias !== null && bias.size !== O) throw new RangeError(`conv2d: bias has ${bias.size} values, expected ${O}`);
  const ho = convOutputSize(H, kh, stride, padding);
  const wo = convOutputSize(W, kw, stride, padding);
  if (ho < 1 || wo < 1) throw new RangeError(`conv2d: a ${kh}x${kw} kernel does not fit a ${H}x${W} input with padding ${padding}`);
  const g: Geometry = { n: N, c: C, h: H, w: W, kh, kw, stride, padding, ho, wo };
  const P = ho * wo;
  const ckk = C * kh * kw;
  const col = new Float32Array(ckk * N * P);
  im2col(x.data, g, col);
  const yc = new Float32Array(O * N * P);
  kernels().gemm(false, false, O, N * P, ckk, 1, weight.data, col, 0, yc);
  const y = new Float32Array(N * O * P);
  fromChannelMajor(yc, N, O, P, y, false);
  if (bias !== null) addChannelBias(y, bias.data, N, O, P);
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return result('conv2d', y, [N, O, ho, wo], parents, (out) => {
    const K = kernels();
    const gc = toChannelMajor(out.grad!, N, O, P);
    const gw = gradTarget(weight);
    if (gw) K.gemm(false, true, O, ckk, N * P, 1, gc, col, 1, gw);
    if (bias !== null && bias.requiresGrad) channelBiasGrad(out.grad!, N, O, P, bias.ensureGrad());
    const gx = gradTarget(x);
    if (gx) {
      const gcol = new Float32Array(col.length);
      K.gemm(true, false, ckk, N * P, O, 1, weight.data, gc, 0, gcol);
      col2im(gcol, g, gx);
    }
  });
}

/** x [N, Ci, H, W], weight [Ci, Co, kh, kw], bias [Co] or null -> [N, Co, Ho, Wo]. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 0;
  const outputPadding = options.outputPadding ?? 0;
  checkStride('convTranspose2d', stride, padding);
  if (!Number.isInteger(outputPadding) || outputPadding < 0 || outputPadding >= stride) {
    throw new RangeError(`convTranspose2d: output padding must be an integer in [0, stride), got ${outputPadding}`);
  }
  const [N, Ci, H, W] = dims4(x, 'convTranspose2d: input');
  const [Cw, Co, kh, kw] = dims4(weight, 'convTranspose2d: weight');
  if (Ci !== Cw) throw new RangeError(`convTranspose2d: input has ${Ci} channels, weight expects ${Cw}`);
  if (bias !== null && bias.size !== Co) throw new RangeError(`convTranspose2d: bias has ${bias.size} values, expected ${Co}`);
  const ho = convTransposeOutputSize(H, kh, stride, padding, outputPadding);
  const wo = convTransposeOutputSize(W, kw, stride, padding, outputPadding);
  if (ho < 1 || wo < 1) throw new RangeError(`convTranspose2d: padding ${padding} leaves no output for a ${H}x${W} input`);
  // The convolution this one transposes: it maps [N, Co, Ho, Wo] to [N, Ci, H, W].
  const g: Geometry = { n: N, c: Co, h: ho, w: wo, kh, kw, stride, padding, ho: H, wo: W };
  const P = H * W;
  const ckk = Co * kh * kw;
  const xc = toChannelMajor(x.data, N, Ci, P);
  const col = new Float32Array(ckk * N * P);
  kernels().gemm(true, false, ckk, N * P, Ci, 1, weight.data, xc, 0, col);
  const y = new Float32Array(N * Co * ho * wo);
  col2im(col, g, y);
  if (bias !== null) addChannelBias(y, bias.data, N, Co, ho * wo);
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return result('conv_transpose2d', y, [N, Co, ho, wo], parents, (out) => {
    const K = kernels();
    const gcol = new Float32Array(col.length);
    im2col(out.grad!, g, gcol);
    const gw = gradTarget(weight);
    if (gw) K.gemm(false, true, Ci, ckk, N * P, 1, xc, gcol, 1, gw);
    if (bias !== null && bias.requiresGrad) channelBiasGrad(out.grad!, N, Co, ho * wo, bias.ensureGrad());
    const gx = gradTarget(x);
    if (gx) {
      const gxc = new Float32Array(Ci * N * P);
      K.gemm(false, false, Ci, N * P, ckk, 1, weight.data, gcol, 0, gxc);
      fromChannelMajor(gxc, N, Ci, P, gx, true);
    }
  });
}
