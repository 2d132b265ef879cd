/** A fully connected layer holding its parameters, in PyTorch's [out, in] weight layout. */
import { Tensor } from '../engine/tensor.js';
import { linear, type Activation } from '../engine/ops/matmul.js';
import type { Random } from '../engine/random.js';
import { linearInitBound, uniformInit } from './init.js';
import type { Parameters } from './parameters.js';

export class Linear {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Random,
  ) {
    const bound = linearInitBound(inFeatures);
    this.weight = new Tensor(uniformInit(new Float32Array(outFeatures * inFeatures), bound, rng), [outFeatures, inFeatures], {
      requiresGrad: true,
    });
    this.bias = new Tensor(uniformInit(new Float32Array(outFeatures), bound, rng), [outFeatures], { requiresGrad: true });
  }

  forward(x: Tensor, activation: Activation = 'none'): Tensor {
    return linear(x, this.weight, this.bias, activation);
  }

  parameters(prefix: string): Parameters {
    return [
      [`${prefix}.weight`, this.weight],
      [`${prefix}.bias`, this.bias],
    ];
  }
}
