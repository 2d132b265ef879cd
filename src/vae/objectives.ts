/**
 * The objectives a VAE can be trained on:
 *  - elbo: the evidence lower bound, optionally with its KL weighted by beta (a beta-VAE,
 *    Higgins et al. 2017) and that weight ramped up from 0 over the first steps (KL warm-up,
 *    which lets the decoder learn to use z before the KL pulls q(z|x) to the prior);
 *  - iwae: the importance-weighted bound with K samples (Burda et al. 2015).
 */
import type { Tensor } from '../engine/tensor.js';
import type { Random } from '../engine/random.js';
import type { Labels, LossTerms, VAE } from './model.js';

export type ObjectiveName = 'elbo' | 'iwae';
export const OBJECTIVES: readonly ObjectiveName[] = ['elbo', 'iwae'];

export interface ObjectiveConfig {
  /** Default elbo. */
  objective?: ObjectiveName;
  /** Importance samples per example for iwae (default 1). */
  k?: number;
  /** KL weight of the elbo (default 1). */
  beta?: number;
  /** Optimizer steps over which the KL weight rises linearly from 0 to beta (default 0: no warm-up). */
  klWarmup?: number;
}

/** Largest K accepted for training: every sample is a decoder pass kept for backward. */
export const MAX_TRAIN_K = 5000;

/** The KL weight at 1-based optimizer step `step`: beta * min(1, step / warmup). */
export function klWeightAt(objective: ObjectiveConfig, step: number): number {
  const beta = objective.beta ?? 1;
  const warmup = objective.klWarmup ?? 0;
  return warmup > 0 && step < warmup ? (beta * step) / warmup : beta;
}

/** Throws RangeError naming the first objective setting that is out of range. */
export function validateObjective(o: ObjectiveConfig): void {
  if (o.objective !== undefined && !OBJECTIVES.includes(o.objective)) {
    throw new RangeError(`unknown objective ${String(o.objective)} (expected elbo or iwae)`);
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
  if ((o.objective ?? 'elbo') === 'iwae' && ((o.beta ?? 1) !== 1 || (o.klWarmup ?? 0) !== 0)) {
    throw new RangeError('beta and KL warm-up weight the ELBO; the iwae objective takes neither');
  }
  if ((o.objective ?? 'elbo') === 'elbo' && o.k !== undefined && o.k !== 1) {
    throw new RangeError(`k = ${o.k} importance samples needs the iwae objective`);
  }
}

/** The training loss of a batch under `objective`, at 1-based optimizer step `step`. */
export function objectiveLoss(model: VAE, x: Tensor, labels: Labels | undefined, rng: Random, objective: ObjectiveConfig, step: number): LossTerms {
  if ((objective.objective ?? 'elbo') === 'iwae') return model.iwLoss(x, objective.k ?? 1, rng, labels);
  return model.loss(x, rng, { labels, klWeight: klWeightAt(objective, step) });
}
