/**
 * The portable layout kernels of the convolutions (im2col, col2im, channel-major moves,
 * channel biases): the reference for the native ones, which must give the same numbers.
 * Everything around the convolutions' matrix products is here, so the ops in
 * src/engine/ops/conv.ts are only the algebra.
 */
import type { ConvGeometry, Kernels } from './kernels.js';

type ConvKernels = Pick<Kernels, 'im2col' | 'col2im' | 'toChannelMajor' | 'fromChannelMajor' | 'addChannelBias' | 'sumChannelsInto'>;

/**
 * The output columns whose input column ox s - p + j falls inside [0, w): [from, to).
 * Outside it a window sees the padding.
 */
function validColumns(j: number, g: ConvGeometry): [number, number] {
  const { w, stride: s, padding: p, wo } = g;
  const from = p - j <= 0 ? 0 : Math.ceil((p - j) / s);
  const to = w - 1 + p - j < 0 ? 0 : Math.floor((w - 1 + p - j) / s) + 1;
  return [Math.min(from, wo), Math.min(Math.max(to, from), wo)];
}

export const jsConvKernels: ConvKernels = {
  im2col(x, g, col) {
    const { n: N, c: C, h: H, w: W, kh, kw, stride: s, padding: p, ho: Ho, wo: Wo } = g;
    const P = Ho * Wo;
    const NP = N * P;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const [ox0, ox1] = validColumns(j, g);
          const rowBase = ((c * kh + i) * kw + j) * NP;
          for (let b = 0; b < N; b++) {
            const plane = (b * C + c) * H * W;
            const base = rowBase + b * P;
            for (let oy = 0; oy < Ho; oy++) {
              const iy = oy * s - p + i;
              const dst = base + oy * Wo;
              if (iy < 0 || iy >= H) {
                col.fill(0, dst, dst + Wo);
                continue;
              }
              const src = plane + iy * W - p + j;
              col.fill(0, dst, dst + ox0);
              for (let ox = ox0; ox < ox1; ox++) col[dst + ox] = x[src + ox * s]!;
              col.fill(0, dst + ox1, dst + Wo);
            }
          }
        }
      }
    }
  },

  col2im(col, g, x) {
    const { n: N, c: C, h: H, w: W, kh, kw, stride: s, padding: p, ho: Ho, wo: Wo } = g;
    const P = Ho * Wo;
    const NP = N * P;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const [ox0, ox1] = validColumns(j, g);
          const rowBase = ((c * kh + i) * kw + j) * NP;
          for (let b = 0; b < N; b++) {
            const plane = (b * C + c) * H * W;
            const base = rowBase + b * P;
            for (let oy = 0; oy < Ho; oy++) {
              const iy = oy * s - p + i;
              if (iy < 0 || iy >= H) continue;
              const dst = plane + iy * W - p + j;
              const src = base + oy * Wo;
              for (let ox = ox0; ox < ox1; ox++) x[dst + ox * s]! += col[src + ox]!;
            }
          }
        }
      }
    }
  },

  toChannelMajor(x, n, c, s, out) {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) out.set(x.subarray((b * c + ch) * s, (b * c + ch + 1) * s), (ch * n + b) * s);
    }
  },

  fromChannelMajor(x, n, c, s, bias, out, accumulate) {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const src = (ch * n + b) * s;
        const dst = (b * c + ch) * s;
        const v = bias === null ? 0 : bias[ch]!;
        if (accumulate) for (let i = 0; i < s; i++) out[dst + i]! += x[src + i]! + v;
        else if (bias === null) out.set(x.subarray(src, src + s), dst);
        else for (let i = 0; i < s; i++) out[dst + i] = x[src + i]! + v;
      }
    }
  },

  addChannelBias(y, bias, n, c, s) {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const v = bias[ch]!;
        const base = (b * c + ch) * s;
        for (let i = base; i < base + s; i++) y[i]! += v;
      }
    }
  },

  sumChannelsInto(g, n, c, s, out) {
    for (let ch = 0; ch < c; ch++) {
      let acc = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * s;
        for (let i = base; i < base + s; i++) acc += g[i]!;
      }
      out[ch]! += acc;
    }
  },
};
