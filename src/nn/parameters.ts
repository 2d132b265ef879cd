/**
 * Named parameters in a fixed order: the order fixes the optimizer's state layout and the
 * checkpoint's contents, and the names are what a checkpoint stores.
 */
import type { Tensor } from '../engine/tensor.js';

export type Parameters = ReadonlyArray<readonly [name: string, tensor: Tensor]>;

export function countParameters(params: Parameters): number {
  return params.reduce((n, [, t]) => n + t.size, 0);
}

export function zeroGrads(params: Parameters): void {
  for (const [, t] of params) t.zeroGrad();
}
