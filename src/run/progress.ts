/** The terminal's view of a run: a progress bar per epoch on stderr, one summary line per epoch on stdout. */
import { EpochProgress, type ProgressSink } from '../train/progress.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { RunListener } from './listener.js';

export function progressListener(sink: ProgressSink, out: { write(s: string): void }, epochs: number): RunListener {
  let bar: EpochProgress | null = null;
  return {
    step(s) {
      if (s.batch === 0) bar = new EpochProgress({ sink, epoch: s.epoch, epochs, totalBatches: s.batchesPerEpoch });
      bar?.update(s.batch + 1, s.runningLoss, s.samplesDone);
    },
    epoch(m) {
      bar?.finish();
      bar = null;
      out.write(summaryLine(m, epochs) + '\n');
    },
    end() {
      bar?.finish();
      bar = null;
    },
  };
}

export function summaryLine(m: EpochMetrics, epochs: number): string {
  return (
    `epoch ${m.epoch}/${epochs}  train ${m.train_nelbo.toFixed(2)}  test ${m.test_nelbo.toFixed(2)} ` +
    `(recon ${m.test_recon.toFixed(2)} + KL ${m.test_kl.toFixed(2)}) nats` +
    (m.test_bits_per_dim !== undefined ? ` = ${m.test_bits_per_dim.toFixed(3)} bits/dim` : '') +
    `  ${m.seconds.toFixed(1)} s  ${Math.round(m.samples_per_sec)} samples/s`
  );
}
