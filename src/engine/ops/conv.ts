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
 *
 * The gemms cover the whole batch, so their operands and results are channel-major,
 * [C, N * H * W]; the kernels move between that and NCHW (adding the bias on the way), and
 * do im2col and col2im, so on the native path nothing here loops over pixels in TypeScript.
 */
import type { ConvGeometry } from '../../kernels/kernels.js';
import { Tensor, gradTarget, isGradEnabled, kernels, opBuffer, result } from '../tensor.js';

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

/**
 * Scratch space for the matrices that live only during one call (patches, channel-major
 * copies): kept between calls and grown when needed, so that a training step does not
 * allocate, and fault in, megabytes of fresh memory per convolution. Two slots suffice: no
 * call needs more than one patch matrix and one channel-major matrix at a time. Nothing
 * here outlives the call that filled it; the backward passes recompute the cheap
 * channel-major copies from their inputs.
 */
const scratch = { patches: new Float32Array(0), channels: new Float32Array(0) };

function workspace(slot: keyof typeof scratch, size: number): Float32Array {
  if (scratch[slot].length < size) scratch[slot] = new Float32Array(size);
  return scratch[slot];
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
  const g: ConvGeometry = { n: N, c: C, h: H, w: W, kh, kw, stride, padding, ho, wo };
  const P = ho * wo;
  const NP = N * P;
  const ckk = C * kh * kw;
  const K = kernels();
  // The weight gradient needs the patches again: kept when it will be asked for (a fresh
  // array costs less than a second im2col), else made in the scratch space.
  const keep = isGradEnabled() && weight.requiresGrad;
  const col = keep ? opBuffer(ckk * NP, false) : workspace('patches', ckk * NP);
  K.im2col(x.data, g, col);
  const yc = workspace('channels', O * NP);
  K.gemm(false, false, O, NP, ckk, 1, weight.data, col, 0, yc);
  const y = opBuffer(N * O * P, false);
  K.fromChannelMajor(yc, N, O, P, bias === null ? null : bias.data, y, false);
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return result('conv2d', y, [N, O, ho, wo], parents, (out) => {
    const K = kernels();
    const gc = workspace('channels', O * NP);
    K.toChannelMajor(out.grad!, N, O, P, gc);
    const gw = gradTarget(weight);
    if (gw) K.gemm(false, true, O, ckk, NP, 1, gc, col, 1, gw);
    if (bias !== null && bias.requiresGrad) K.sumChannelsInto(out.grad!, N, O, P, bias.ensureGrad());
    const gx = gradTarget(x);
    if (gx) {
      const gcol = workspace('patches', ckk * NP);
      K.gemm(true, false, ckk, NP, O, 1, weight.data, gc, 0, gcol);
      K.col2im(gcol, g, gx);
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
  const g: ConvGeometry = { n: N, c: Co, h: ho, w: wo, kh, kw, stride, padding, ho: H, wo: W };
  const P = H * W;
  const NP = N * P;
  const ckk = Co * kh * kw;
  const K = kernels();
  const xc = workspace('channels', Ci * NP);
  K.toChannelMajor(x.data, N, Ci, P, xc);
  const col = workspace('patches', ckk * NP);
  K.gemm(true, false, ckk, NP, Ci, 1, weight.data, xc, 0, col);
  // col2im adds into y, so it starts from zeros.
  const y = opBuffer(N * Co * ho * wo);
  K.col2im(col, g, y);
  if (bias !== null) K.addChannelBias(y, bias.data, N, Co, ho * wo);
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return result('conv_transpose2d', y, [N, Co, ho, wo], parents, (out) => {
    const K = kernels();
    const gcol = workspace('patches', ckk * NP);
    K.im2col(out.grad!, g, gcol);
    const gw = gradTarget(weight);
    if (gw) {
      const xc = workspace('channels', Ci * NP);
      K.toChannelMajor(x.data, N, Ci, P, xc);
      K.gemm(false, true, Ci, ckk, NP, 1, xc, gcol, 1, gw);
    }
    if (bias !== null && bias.requiresGrad) K.sumChannelsInto(out.grad!, N, Co, ho * wo, bias.ensureGrad());
    const gx = gradTarget(x);
    if (gx) {
      const gxc = workspace('channels', Ci * NP);
      K.gemm(false, false, Ci, NP, ckk, 1, weight.data, gcol, 0, gxc);
      K.fromChannelMajor(gxc, N, Ci, P, null, gx, true);
    }
  });
}
