/**
 * Convolution layers holding their parameters, in PyTorch's layouts and with its default
 * initialization, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, where fan_in is
 * C kh kw for Conv2d and, as PyTorch computes it from the weight's second axis, Co kh kw for
 * ConvTranspose2d.
 */
import { Tensor } from '../engine/tensor.js';
import { conv2d, convTranspose2d } from '../engine/ops/conv.js';
import type { Random } from '../engine/random.js';
import { linearInitBound, uniformInit } from './init.js';
import type { Parameters } from './parameters.js';

function param(shape: number[], bound: number, rng: Random): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(uniformInit(new Float32Array(n), bound, rng), shape, { requiresGrad: true });
}

export interface ConvLayerOptions {
  kernel: number;
  stride?: number;
  padding?: number;
}

export class Conv2d {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    options: ConvLayerOptions,
    rng: Random,
  ) {
    const k = options.kernel;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const bound = linearInitBound(inChannels * k * k);
    this.weight = param([outChannels, inChannels, k, k], bound, rng);
    this.bias = param([outChannels], bound, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  parameters(prefix: string): Parameters {
    return [
      [`${prefix}.weight`, this.weight],
      [`${prefix}.bias`, this.bias],
    ];
  }
}

export class ConvTranspose2d {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    options: ConvLayerOptions & { outputPadding?: number },
    rng: Random,
  ) {
    const k = options.kernel;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.outputPadding = options.outputPadding ?? 0;
    const bound = linearInitBound(outChannels * k * k);
    this.weight = param([inChannels, outChannels, k, k], bound, rng);
    this.bias = param([outChannels], bound, rng);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding });
  }

  parameters(prefix: string): Parameters {
    return [
      [`${prefix}.weight`, this.weight],
      [`${prefix}.bias`, this.bias],
    ];
  }
}
