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
  const r = resolveObjective(o);
  if (r.objective === 'iwae' && (r.beta !== 1 || r.klWarmup !== 0)) {
    throw new RangeError('beta and KL warm-up weight the ELBO; the iwae objective takes neither');
  }
  if (r.objective === 'elbo' && r.k !== 1) {
    throw new RangeError(`k = ${o.k} importance samples needs the iwae objective`);
  }
}

/** The training loss of a batch under `objective`, at 1-based optimizer step `step`. */
export function objectiveLoss(model: VAE, x: Tensor, labels: Labels | undefined, rng: Random, objective: ResolvedObjective, step: number): LossTerms {
  if (objective.objective === 'iwae') return model.iwLoss(x, objective.k, rng, labels);
  return model.loss(x, rng, { labels, klWeight: klWeightAt(objective, step) });
}
