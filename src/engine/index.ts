export { Tensor, noGrad, isGradEnabled, setKernels, kernels, sizeOf } from './tensor.js';
export { Random, type RandomState } from './random.js';
export { add, sub, mul, div, relu, sigmoid, exp, log, softplus, square, neg } from './ops/elementwise.js';
export { sum, mean } from './ops/reduce.js';
export { reshape, concat, slice } from './ops/shape.js';
export { matmul, linear, type Activation } from './ops/matmul.js';
export { bceWithLogits, gaussianKl, reparameterize } from './ops/fused.js';
export { gaussianNll } from './ops/gaussian.js';
export { logisticNll } from './ops/logistic.js';
export { logSumExp } from './ops/logsumexp.js';
export { repeatRows } from './ops/repeat.js';
export {
  conv2d,
  convTranspose2d,
  convOutputSize,
  convTransposeOutputSize,
  type ConvOptions,
  type ConvTransposeOptions,
} from './ops/conv.js';
