/** The terminal's view of a run: a progress bar per epoch on stderr, one summary line per epoch on stdout. */
import { EpochProgress, type ProgressSink } from '../train/progress.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { RunListener } from './listener.js';

/** `steps`: the run's step count, for a run measured in steps; its bar then spans each report period. */
export function progressListener(sink: ProgressSink, out: { write(s: string): void }, epochs: number, steps?: number): RunListener {
  let bar: EpochProgress | null = null;
  return {
    step(s) {
      const at = s.period ?? { batch: s.batch, batches: s.batchesPerEpoch, firstEpoch: s.epoch };
      // A resumed epoch cut short starts its bar where it stands.
      if (at.batch === 0 || bar === null) {
        bar?.finish();
        // s.elapsed and s.samplesDone count from the start of the epoch or period, its first batch included.
        const lastEpoch = s.period === undefined ? s.epoch : at.firstEpoch + Math.ceil(at.batches / s.batchesPerEpoch) - 1;
        bar = new EpochProgress({ sink, epoch: at.firstEpoch, lastEpoch, epochs, totalBatches: at.batches, startedAt: performance.now() - s.elapsed * 1000 });
      }
      bar.update(at.batch + 1, s.runningLoss, s.samplesDone);
    },
    epoch(m) {
      bar?.finish();
      bar = null;
      out.write(summaryLine(m, epochs, steps) + '\n');
    },
    end() {
      bar?.finish();
      bar = null;
    },
  };
}

export function summaryLine(m: EpochMetrics, epochs: number, steps?: number): string {
  const where = steps !== undefined ? `epoch ${m.epoch}/${epochs}, step ${m.step}/${steps}` : `epoch ${m.epoch}/${epochs}`;
  return (
    `${where}  train ${m.train_nelbo.toFixed(2)}  test ${m.test_nelbo.toFixed(2)} ` +
    `(recon ${m.test_recon.toFixed(2)} + KL ${m.test_kl.toFixed(2)}) nats` +
    (m.test_bits_per_dim !== undefined ? ` = ${m.test_bits_per_dim.toFixed(3)} bits/dim` : '') +
    `  ${m.seconds.toFixed(1)} s  ${Math.round(m.samples_per_sec)} samples/s`
  );
}
