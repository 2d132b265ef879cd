/**
 * Per-epoch progress display. On a terminal it redraws one line in place; anywhere else (a pipe, a CI
 * log) it prints occasional plain lines, because `\r` and escape codes turn logs into noise.
 */

/** Where progress goes; `process.stderr` satisfies it, which keeps stdout clean for results. */
export interface ProgressSink {
  write(s: string): void;
  isTTY: boolean;
  columns?: number;
}

export interface EpochProgressOptions {
  sink: ProgressSink;
  epoch: number;
  /** The last epoch the bar spans, when it spans several (a report period of a run in steps). */
  lastEpoch?: number;
  epochs: number;
  totalBatches: number;
  /**
   * Accepted for callers that know it, but unused: ETA is projected from batches rather than samples,
   * since the last batch of an epoch is usually partial and would skew a samples-based estimate.
   */
  batchSize?: number;
  /** Milliseconds; injectable so tests can drive a fake clock. */
  now?: () => number;
  /**
   * When the bar's work began, on the `now` clock, if before the bar was made: a bar made after
   * its first batch counts that batch's time too, or its first rate is that batch over nothing.
   */
  startedAt?: number;
  /** Batches between plain (non-TTY) lines; defaults to about a tenth of the epoch. */
  plainEvery?: number;
}

/** `m:ss` below an hour, `h:mm:ss` above; `?:??` when there is nothing sensible to show (no rate yet). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?:??';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const REDRAW_MS = 100;
const MAX_BAR = 20;
// Narrower than this a bar conveys nothing that the counts do not already say.
const MIN_BAR = 5;
const CLEAR_EOL = '\x1b[K';

export class EpochProgress {
  private readonly sink: ProgressSink;
  private readonly epoch: number;
  private readonly lastEpoch: number;
  private readonly epochs: number;
  private readonly totalBatches: number;
  private readonly now: () => number;
  private readonly plainEvery: number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastPlainBatches = 0;
  private drawn = false;
  private finished = false;

  constructor(opts: EpochProgressOptions) {
    this.sink = opts.sink;
    this.epoch = opts.epoch;
    this.lastEpoch = Math.max(opts.epoch, opts.lastEpoch ?? opts.epoch);
    this.epochs = opts.epochs;
    this.totalBatches = Math.max(0, opts.totalBatches);
    this.now = opts.now ?? (() => performance.now());
    this.plainEvery = Math.max(1, Math.floor(opts.plainEvery ?? Math.round(this.totalBatches / 10)));
    this.start = Math.min(opts.startedAt ?? Infinity, this.now());
  }

  update(batchesDone: number, runningLoss: number, samplesDone: number): void {
    if (this.finished) return;
    const t = this.now();
    const last = batchesDone >= this.totalBatches;
    if (this.sink.isTTY) {
      // The final state is always shown, so a throttled redraw can never leave a stale bar behind.
      if (!last && t - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = t;
      this.drawn = true;
      this.sink.write('\r' + this.ttyLine(batchesDone, runningLoss, samplesDone, t) + CLEAR_EOL);
    } else {
      // Callers may skip batches between updates, so print whenever a multiple of plainEvery was crossed.
      if (Math.floor(batchesDone / this.plainEvery) <= Math.floor(this.lastPlainBatches / this.plainEvery)) return;
      this.lastPlainBatches = batchesDone;
      const s = this.stats(batchesDone, runningLoss, samplesDone, t);
      this.sink.write(`${s.epoch}  ${s.counts} batches  ${s.loss}  ${s.rate}  ${s.eta}\n`);
    }
  }

  /** Clears the bar; then writes `summaryLine`, if given, in its place. */
  finish(summaryLine?: string): void {
    if (this.finished) return;
    this.finished = true;
    const clear = this.sink.isTTY && this.drawn ? '\r' + CLEAR_EOL : '';
    const text = clear + (summaryLine === undefined ? '' : summaryLine + '\n');
    if (text !== '') this.sink.write(text);
  }

  private stats(batchesDone: number, runningLoss: number, samplesDone: number, t: number) {
    const elapsed = (t - this.start) / 1000;
    const done = Math.min(Math.max(0, batchesDone), this.totalBatches);
    const rate = elapsed > 0 ? `${Math.round(samplesDone / elapsed)} samples/s` : '? samples/s';
    // With no elapsed time yet, a projection of 0:00 would be a confident lie; show it as unknown instead.
    const eta = done > 0 && elapsed > 0 ? (elapsed / done) * (this.totalBatches - done) : NaN;
    const total = String(this.totalBatches);
    return {
      done,
      epoch: this.lastEpoch > this.epoch ? `epochs ${this.epoch}-${this.lastEpoch}/${this.epochs}` : `epoch ${this.epoch}/${this.epochs}`,
      // Padded so the line does not jitter as the count gains digits.
      counts: `${String(done).padStart(total.length)}/${total}`,
      loss: `loss ${runningLoss.toFixed(2)}`,
      rate,
      eta: `ETA ${formatDuration(eta)}`,
    };
  }

  private ttyLine(batchesDone: number, runningLoss: number, samplesDone: number, t: number): string {
    // One column short of the width: writing into the last column leaves some terminals in a pending-wrap
    // state where the following clear-to-end-of-line wipes that last character or the line wraps.
    // Some terminals report 0 columns (unknown); treat that as the usual 80.
    const width = Math.max(1, (this.sink.columns || 80) - 1);
    const s = this.stats(batchesDone, runningLoss, samplesDone, t);
    const tail = `  ${s.counts}  ${s.loss}  ${s.rate}  ${s.eta}`;
    const barRoom = width - s.epoch.length - tail.length - 3; // space and brackets around the bar
    if (barRoom >= MIN_BAR) {
      const barWidth = Math.min(MAX_BAR, barRoom);
      const filled = this.totalBatches > 0 ? Math.round((s.done / this.totalBatches) * barWidth) : barWidth;
      return `${s.epoch} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
    }
    // Drop the least essential parts first; the counts and loss are what a user watches.
    const candidates = [
      `${s.epoch}${tail}`,
      `${s.epoch}  ${s.counts}  ${s.loss}  ${s.eta}`,
      `${s.epoch}  ${s.counts}  ${s.loss}`,
      // Below here a truncated loss would read as a different number, so leave it out entirely.
      `${s.epoch}  ${s.counts}`,
    ];
    for (const line of candidates) if (line.length <= width) return line;
    return candidates[candidates.length - 1]!.slice(0, width);
  }
}
