/**
 * The objectives a VAE can be trained on:
 *  - elbo: the evidence lower bound, optionally with its KL weighted by beta (a beta-VAE,
 *    Higgins et al. 2017) and that weight ramped up from 0 over the first steps (KL warm-up,
 *    which lets the decoder learn to use z before the KL pulls q(z|x) to the prior);
 *  - iwae: the importance-weighted bound with K samples (Burda et al. 2015);
 *  - btcvae: the beta-TC-VAE (Chen et al. 2018): the ELBO with its KL split into index-code
 *    mutual information, total correlation and dimension-wise KL, and beta weighting only the
 *    total correlation (the other two weighted 1, the paper's main setting). The total
 *    correlation is estimated on the minibatch (see total-correlation.ts), which needs the
 *    size of the training set.
 */
import type { Tensor } from '../engine/tensor.js';
import { gaussianKl } from '../engine/ops/fused.js';
import { add, mul } from '../engine/ops/elementwise.js';
import { mean } from '../engine/ops/reduce.js';
import type { Random } from '../engine/random.js';
import type { Labels, LossTerms, VAE } from './model.js';
import { minibatchTotalCorrelation } from './total-correlation.js';

export type ObjectiveName = 'elbo' | 'iwae' | 'btcvae';
export const OBJECTIVES: readonly ObjectiveName[] = ['elbo', 'iwae', 'btcvae'];

export interface ObjectiveConfig {
  /** Default elbo. */
  objective?: ObjectiveName;
  /** Importance samples per example for iwae (default 1). */
  k?: number;
  /** KL weight of the elbo; total correlation weight of btcvae (default 1). */
  beta?: number;
  /** Optimizer steps over which the KL weight rises linearly from 0 to beta (default 0: no warm-up). */
  klWarmup?: number;
}

/**
 * What each setting means when a config leaves it out: what checkpoints from before the
 * setting existed trained on (the plain ELBO; an IWAE run saved without k drew one sample).
 * A new run's defaults are the CLI's (its --k default is DEFAULT_IWAE_K), and are saved.
 */
export const OBJECTIVE_DEFAULTS: Readonly<ResolvedObjective> = { objective: 'elbo', k: 1, beta: 1, klWarmup: 0 };

/** Every objective setting given, as code that trains or describes a run reads them. */
export type ResolvedObjective = Required<ObjectiveConfig>;

export function resolveObjective(o: ObjectiveConfig): ResolvedObjective {
  const d = OBJECTIVE_DEFAULTS;
  return { objective: o.objective ?? d.objective, k: o.k ?? d.k, beta: o.beta ?? d.beta, klWarmup: o.klWarmup ?? d.klWarmup };
}

/** Largest K accepted for training: every sample is a decoder pass kept for backward. */
export const MAX_TRAIN_K = 5000;

/** The KL weight at 1-based optimizer step `step`: beta * min(1, step / warmup). */
export function klWeightAt(objective: ObjectiveConfig, step: number): number {
  const { beta, klWarmup: warmup } = resolveObjective(objective);
  return warmup > 0 && step < warmup ? (beta * step) / warmup : beta;
}

/** Throws RangeError naming the first objective setting that is out of range. */
export function validateObjective(o: ObjectiveConfig): void {
  if (o.objective !== undefined && !OBJECTIVES.includes(o.objective)) {
    throw new RangeError(`unknown objective ${String(o.objective)} (expected elbo, iwae or btcvae)`);
  }
  if (o.k !== undefined && (!Number.isInteger(o.k) || o.k < 1 || o.k > MAX_TRAIN_K)) {
    throw new RangeError(`k must be an integer in [1, ${MAX_TRAIN_K}], got ${o.k}`);
  }
  if (o.beta !== undefined && (typeof o.beta !== 'number' || !Number.isFinite(o.beta) || o.beta < 0)) {
    throw new RangeError(`beta must be a number >= 0, got ${o.beta}`);
  }
  if (o.klWarmup !== undefined && (!Number.isInteger(o.klWarmup) || o.klWarmup < 0)) {
    throw new RangeError(`KL warm-up must be an integer number of steps >= 0, got ${o.klWarmup}`);
  }
  const r = resolveObjective(o);
  if (r.objective === 'iwae' && (r.beta !== 1 || r.klWarmup !== 0)) {
    throw new RangeError('beta and KL warm-up weight the ELBO; the iwae objective takes neither');
  }
  if (r.objective !== 'iwae' && r.k !== 1) {
    throw new RangeError(`k = ${o.k} importance samples needs the iwae objective`);
  }
  if (r.objective === 'btcvae' && r.klWarmup !== 0) {
    throw new RangeError('KL warm-up ramps the weight of the elbo; the btcvae objective weights its total correlation by beta from the start');
  }
}

/**
 * The training loss of a batch under `objective`, at 1-based optimizer step `step`.
 * `datasetSize`, the number of training images, is needed by btcvae's estimator.
 */
export function objectiveLoss(
  model: VAE,
  x: Tensor,
  labels: Labels | undefined,
  rng: Random,
  objective: ResolvedObjective,
  step: number,
  datasetSize?: number,
): LossTerms {
  if (objective.objective === 'iwae') return model.iwLoss(x, objective.k, rng, labels);
  if (objective.objective === 'btcvae') {
    if (datasetSize === undefined) throw new RangeError('the btcvae objective needs the size of the training set');
    return betaTcVaeLoss(model, x, labels, rng, objective.beta, datasetSize);
  }
  return model.loss(x, rng, { labels, klWeight: klWeightAt(objective, step) });
}

/**
 * The beta-TC-VAE loss per example, recon + MI + beta TC + dimension-wise KL. The three KL parts
 * with weights 1, beta, 1 sum to KL + (beta - 1) TC; the KL is taken in closed form, which has
 * the same expectation as the sum of the sampled parts and less variance (as disentanglement_lib
 * does), and only TC comes from the minibatch estimator.
 */
export function betaTcVaeLoss(model: VAE, x: Tensor, labels: Labels | undefined, rng: Random, beta: number, datasetSize: number): LossTerms {
  const posterior = model.encode(x, labels);
  const z = model.reparameterize(posterior, rng);
  const recon = model.negLogLikelihood(model.decodeDistribution(z, labels), x);
  const kl = gaussianKl(posterior.mu, posterior.logvar);
  let perExample = add(recon, kl);
  if (beta !== 1) perExample = add(perExample, mul(minibatchTotalCorrelation(z, posterior.mu, posterior.logvar, datasetSize), beta - 1));
  return { loss: mean(perExample), recon: recon.data, kl: kl.data };
}
