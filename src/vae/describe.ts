/** A model in a few words, for the terminal, the dashboard and the explorer (no Node built-ins: the page bundles it). */
import { archOf, channelsOf, classesOf, convChannelsOf, gaussianMeanOf, type VaeConfig } from './config.js';
import { resolveObjective, type ObjectiveConfig } from './objectives.js';

export function describeModel(c: VaeConfig): string {
  const image = `${channelsOf(c) === 1 ? '' : `${channelsOf(c)}x`}${c.imageHeight}x${c.imageWidth}`;
  const stages = convChannelsOf(c).map((n) => `c${n}`);
  const arch = archOf(c) === 'conv' ? `conv VAE ${[image, ...stages, ...c.hidden, c.latent].join('-')}` : `MLP VAE ${[c.inputDim, ...c.hidden, c.latent].join('-')}`;
  const decoder =
    c.likelihood === 'bernoulli'
      ? 'Bernoulli decoder'
      : c.likelihood === 'logistic'
        ? 'discretized logistic decoder'
        : `Gaussian decoder (${gaussianTraits(c, `sigma ${c.sigma}`).join(', ')})`;
  const classes = classesOf(c);
  return `${classes > 0 ? `conditional (${classes} classes) ` : ''}${arch}, ${decoder}`;
}

/** What sets a Gaussian decoder apart, in a few words each: its variance, and a sigmoid mean when it has one. */
export function gaussianTraits(c: VaeConfig, fixedSigma: string): string[] {
  const traits = [c.likelihood === 'gaussian' ? 'learned variance' : fixedSigma];
  if (gaussianMeanOf(c) === 'sigmoid') traits.push('sigmoid mean');
  return traits;
}

/** The objective in a few words, for run headers and the report: `ELBO`, `beta-ELBO, beta = 4`, `IWAE bound, K = 5`. */
export function describeObjective(t: ObjectiveConfig): string {
  const { objective, k, beta, klWarmup: warm } = resolveObjective(t);
  if (objective === 'iwae') return `IWAE bound, K = ${k}`;
  return `${beta === 1 ? 'ELBO' : `beta-ELBO, beta = ${beta}`}${warm > 0 ? `, KL warm-up over ${warm} steps` : ''}`;
}
