/**
 * Adam (Kingma & Ba, 2015) with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8) and its
 * bias correction; the arithmetic of one step lives in the kernels (`adamUpdate`), one call
 * for all parameters.
 */
import { kernels } from '../engine/tensor.js';
import type { Parameters } from './parameters.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  /** The step size of the next update; a schedule may change it between steps. */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private stepCount = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    readonly params: Parameters,
    options: AdamOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.m = params.map(([, t]) => new Float32Array(t.size));
    this.v = params.map(([, t]) => new Float32Array(t.size));
  }

  get step(): number {
    return this.stepCount;
  }

  /** One update of every parameter that has a gradient. */
  update(): void {
    this.stepCount += 1;
    const params: Float32Array[] = [];
    const grads: Float32Array[] = [];
    const m: Float32Array[] = [];
    const v: Float32Array[] = [];
    this.params.forEach(([, p], i) => {
      if (p.grad === null) return;
      params.push(p.data);
      grads.push(p.grad);
      m.push(this.m[i]!);
      v.push(this.v[i]!);
    });
    kernels().adamUpdate(params, grads, m, v, this.lr, this.beta1, this.beta2, this.eps, this.stepCount);
  }

  zeroGrad(): void {
    for (const [, p] of this.params) p.zeroGrad();
  }

  getState(): AdamState {
    return { step: this.stepCount, m: this.m, v: this.v };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError('optimizer state does not match the parameters');
    }
    state.m.forEach((a, i) => {
      if (a.length !== this.m[i]!.length) throw new RangeError('optimizer state does not match the parameters');
      this.m[i]!.set(a);
    });
    state.v.forEach((a, i) => {
      if (a.length !== this.v[i]!.length) throw new RangeError('optimizer state does not match the parameters');
      this.v[i]!.set(a);
    });
    this.stepCount = state.step;
  }
}
