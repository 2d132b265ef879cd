/**
 * The learning rate over a run. `constant` keeps --lr throughout (the classic example's
 * setting). `cosine` anneals it from lr to lrMin along half a cosine over every optimizer
 * step of the run's epochs (Loshchilov & Hutter 2017, without restarts): large steps while
 * the model is far from a good optimum, small ones at the end, where a constant rate keeps
 * the weights rattling around the optimum instead of settling into it.
 *
 * The rate is a pure function of the step and the run's settings, so a resumed run continues
 * on the same curve. Resuming to more epochs than planned redraws the curve over the new
 * total, so the rate climbs back to where the longer curve stands at the run's step.
 */

export type LrSchedule = 'constant' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];

/** Where a cosine schedule ends when no --lr-min is given: a hundredth of the starting rate. */
export const DEFAULT_LR_MIN_FRACTION = 0.01;

export interface LrScheduleConfig {
  lr: number;
  /** Default constant; checkpoints from before schedules existed trained at a constant rate. */
  lrSchedule?: LrSchedule;
  /** The cosine schedule's final rate (default lr / 100). */
  lrMin?: number;
}

/** Every schedule setting given, as code that trains or describes a run reads them. */
export type ResolvedLrSchedule = Required<LrScheduleConfig>;

export function resolveLrSchedule(t: LrScheduleConfig): ResolvedLrSchedule {
  return { lr: t.lr, lrSchedule: t.lrSchedule ?? 'constant', lrMin: t.lrMin ?? t.lr * DEFAULT_LR_MIN_FRACTION };
}

/**
 * The rate of 1-based optimizer step `step` in a run of `totalSteps` steps. The first step
 * uses lr and the last lrMin; steps past the total (none in a normal run) stay at lrMin.
 */
export function learningRateAt(t: LrScheduleConfig, step: number, totalSteps: number): number {
  const { lr, lrSchedule, lrMin } = resolveLrSchedule(t);
  if (lrSchedule === 'constant') return lr;
  const progress = totalSteps <= 1 ? 1 : Math.min(1, Math.max(0, (step - 1) / (totalSteps - 1)));
  return lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos(Math.PI * progress));
}

/** Throws RangeError naming the first schedule setting that is out of range. */
export function validateLrSchedule(t: LrScheduleConfig): void {
  if (t.lrSchedule !== undefined && !LR_SCHEDULES.includes(t.lrSchedule)) {
    throw new RangeError(`unknown learning-rate schedule ${String(t.lrSchedule)} (expected constant or cosine)`);
  }
  if (t.lrMin !== undefined) {
    if (typeof t.lrMin !== 'number' || !Number.isFinite(t.lrMin) || t.lrMin < 0) throw new RangeError(`lr-min must be a number >= 0, got ${t.lrMin}`);
    if (resolveLrSchedule(t).lrSchedule !== 'cosine') throw new RangeError('lr-min is where the cosine schedule ends; it needs the cosine schedule');
    if (t.lrMin > t.lr) throw new RangeError(`lr-min (${t.lrMin}) must not exceed lr (${t.lr})`);
  }
}

/** A phrase for headers and reports: "0.001", or "0.001, cosine to 0.00001". */
export function describeLr(t: LrScheduleConfig): string {
  const { lr, lrSchedule, lrMin } = resolveLrSchedule(t);
  return lrSchedule === 'constant' ? `${lr}` : `${lr}, cosine to ${lrMin}`;
}
