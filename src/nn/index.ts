export { Linear } from './linear.js';
export { Adam, type AdamOptions, type AdamState } from './adam.js';
export { type Parameters, countParameters, zeroGrads } from './parameters.js';
export { linearInitBound, uniformInit } from './init.js';
export { Conv2d, ConvTranspose2d, type ConvLayerOptions } from './conv.js';
