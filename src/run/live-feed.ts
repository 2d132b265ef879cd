/**
 * The live dashboard's feed (`vae train --ui`). The run layer knows only this shape; the
 * server that implements it (src/server/training-ui.ts) is wired in by the command.
 */
import type { EpochMetrics, StepInfo } from '../train/trainer.js';
import type { RunListener, RunOutcome } from './listener.js';

export interface LiveFeed {
  step(info: StepInfo): void;
  epoch(metrics: EpochMetrics): void;
  end(outcome: RunOutcome, message: string): void;
}

export function liveFeedListener(feed: LiveFeed): RunListener {
  return {
    step: (s) => feed.step(s),
    epoch: (m) => feed.epoch(m),
    end: (e) => feed.end(e.outcome, e.message),
  };
}
