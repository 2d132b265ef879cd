/** A model in a few words, for the terminal, the dashboard and the explorer (no Node built-ins: the page bundles it). */
import { archOf, classesOf, type VaeConfig } from './config.js';

export function describeModel(c: VaeConfig): string {
  const arch = archOf(c) === 'conv' ? `conv VAE ${c.imageHeight}x${c.imageWidth}-c32-c64-${c.hidden.join('-')}-${c.latent}` : `MLP VAE ${[c.inputDim, ...c.hidden, c.latent].join('-')}`;
  const decoder =
    c.likelihood === 'bernoulli' ? 'Bernoulli decoder' : c.likelihood === 'gaussian' ? 'Gaussian decoder (learned variance)' : `Gaussian decoder (sigma ${c.sigma})`;
  const classes = classesOf(c);
  return `${classes > 0 ? `conditional (${classes} classes) ` : ''}${arch}, ${decoder}`;
}
