/**
 * A run from its opened folder to its end: the trainer's steps and epochs handed to the
 * listeners in order; Ctrl-C and SIGTERM stop it between two steps (a second Ctrl-C quits at
 * once); however it ends, the listeners hear how, and the folder is given up.
 */
import { UserError } from '../errors.js';
import type { DataSplits } from '../data/dataset.js';
import { DivergedError, TrainingInterrupted, train, type EpochMetrics } from '../train/trainer.js';
import type { RunFolder } from './folder.js';
import type { RunEnd, RunListener } from './listener.js';
import type { RunPlan } from './plan.js';

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Trains the planned run in its opened folder. Resolves to how it ended when it was done or
 * stopped; a diverged loss is a UserError (after the listeners heard of it).
 */
export async function trainRun(
  plan: RunPlan,
  folder: RunFolder,
  listeners: RunListener[],
  stop: AbortController,
  notice: (line: string) => void,
): Promise<RunEnd> {
  const { state, dir } = plan;
  let training = true;
  // Installed for as long as the folder is held: a signal after training (while the figures
  // are drawn) quits at once, and the exit hook still gives the folder up.
  const onSignal = (): void => {
    if (stop.signal.aborted || !training) process.exit(130);
    notice('\nstopping after this step (press Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let ended = false;
  const finish = async (end: RunEnd): Promise<RunEnd> => {
    // Once: a listener failing at the end (a figure that cannot be written) must not end the run twice.
    if (ended) return end;
    ended = true;
    for (const l of listeners) await l.end?.(end);
    return end;
  };
  let history: EpochMetrics[];
  try {
    try {
      history = await train(state, plan.data, {
        signal: stop.signal,
        onStep: (s) => {
          for (const l of listeners) l.step?.(s);
        },
        onEpoch: (m, st) => {
          for (const l of listeners) l.epoch?.(m, st);
        },
      });
    } finally {
      training = false;
    }
    // The figures need the test images only; letting the training images go keeps the peak
    // memory of a run near that of its training loop.
    plan.data = withoutTrainingImages(plan.data);
    const last = history[history.length - 1];
    return await finish({
      outcome: 'done',
      // A logistic decoder's number is read in bits/dim, as the epoch lines and vae eval give it.
      message:
        `${plural(state.epoch, 'epoch')}${last ? `, test NELBO ${last.test_nelbo.toFixed(2)} nats` : ''}` +
        (last?.test_bits_per_dim !== undefined ? ` = ${last.test_bits_per_dim.toFixed(3)} bits/dim` : ''),
      history,
    });
  } catch (err) {
    if (err instanceof TrainingInterrupted) {
      const message =
        err.epoch > 0
          ? `interrupted during epoch ${err.epoch + 1}; the checkpoint of epoch ${err.epoch} is in ${dir}\ncontinue with: vae train --resume ${dir}`
          : `interrupted during epoch 1; no epoch was completed, so there is no checkpoint\nstart it again with: vae train --resume ${dir}`;
      return await finish({ outcome: 'stopped', message, history: [] });
    }
    if (err instanceof DivergedError) {
      const kept = state.epoch > 0 ? `the last good checkpoint (epoch ${state.epoch}) is in ${dir}` : 'no checkpoint was written';
      await finish({ outcome: 'failed', message: `${err.message}; ${kept}`, history: [] });
      throw new UserError(`vae train: ${err.message}; ${kept}`);
    }
    await finish({ outcome: 'failed', message: 'training ended with an error; see the terminal', history: [] }).catch(() => undefined);
    throw err;
  } finally {
    folder.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function withoutTrainingImages(data: DataSplits): DataSplits {
  return { ...data, train: { ...data.train, pixels: new Uint8Array(0), labels: new Uint8Array(0), count: 0 } };
}
