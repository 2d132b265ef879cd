/**
 * What a page watching `vae train --ui` is told, as server-sent events:
 *   run       once: the model, the data, the fixed test digits and their labels
 *   progress  a few times a second: epoch, batch, running loss, speed, ETA
 *   losses    the loss of each step since the last message (the curve)
 *   epoch     after each epoch: the line metrics.jsonl gets
 *   snapshot  every few steps: where the encoder puts a fixed set of test digits (the latent
 *             distribution moving), and the reconstructions of ten fixed test digits
 *   end       training is over: done, stopped or failed, and where the checkpoint is
 * A page that connects late is first sent the run so far.
 *
 * Snapshots use posterior means and no random draws, so watching a run never changes it.
 */
import { noGrad, Tensor } from '../engine/tensor.js';
import { imageFloats, subset, valuesPerImage, type DataSplits, type ImageDataset } from '../data/dataset.js';
import type { TrainingState } from '../train/checkpoint.js';
import { readMetrics } from '../train/metrics-log.js';
import type { EpochMetrics, StepInfo } from '../train/trainer.js';
import { EventHub, type ServerEvent } from './event-hub.js';
import { encodeMeans, rounded, toBytes } from './latent-codes.js';
import { describeModel } from '../vae/describe.js';

/** Test digits placed on the live scatter. */
export const SNAPSHOT_POINTS = 1000;
/** Snapshots per epoch while someone watches (plus one at each epoch's end)... */
const SNAPSHOTS_PER_EPOCH = 20;
/** ...unless that would spend more than about a tenth of the time on snapshots. */
const SNAPSHOT_SHARE = 0.1;
const PROGRESS_MS = 250;
/** The loss curve keeps at most this many points; older ones are merged in pairs. */
const MAX_LOSS_POINTS = 4000;

export type Outcome = 'done' | 'stopped' | 'failed';

export class TrainingFeed {
  readonly hub: EventHub;
  private readonly dim: number;
  private readonly points: ImageDataset;
  private readonly digits: { index: number[]; images: Float32Array };
  private readonly epochs: EpochMetrics[];
  private losses: [number, number][] = [];
  private pendingLosses: [number, number][] = [];
  private lastProgress: unknown = null;
  private lastProgressAt = 0;
  private lastSnapshot: unknown = null;
  private ended: unknown = null;
  private readonly sessionStart = performance.now();
  private sessionSteps = 0;
  private snapshotEvery = 1;
  private snapshotSeconds = 0;
  private snapshotAt = 0;

  constructor(
    private readonly state: TrainingState,
    private readonly data: DataSplits,
    private readonly dir: string,
  ) {
    this.hub = new EventHub(() => this.welcome());
    this.dim = valuesPerImage(data.test);
    const n = Math.min(SNAPSHOT_POINTS, data.test.count);
    this.points = subset(data.test, n);
    this.digits = pickDigits(data.test);
    // A resumed run's curve starts with the epochs it already has.
    this.epochs = readMetrics(dir).filter((m) => m.epoch <= state.epoch);
  }

  step(s: StepInfo): void {
    this.sessionSteps++;
    this.snapshotEvery = Math.max(1, Math.round(s.batchesPerEpoch / SNAPSHOTS_PER_EPOCH));
    this.pendingLosses.push([s.step, round(s.loss)]);
    const now = performance.now();
    const last = s.batch + 1 === s.batchesPerEpoch;
    if (now - this.lastProgressAt >= PROGRESS_MS || last) {
      this.lastProgressAt = now;
      const epochs = this.state.config.training.epochs;
      const remaining = (epochs - s.epoch) * s.batchesPerEpoch + (s.batchesPerEpoch - s.batch - 1);
      const perStep = (now - this.sessionStart) / 1000 / this.sessionSteps;
      this.lastProgress = {
        epoch: s.epoch,
        epochs,
        batch: s.batch + 1,
        batchesPerEpoch: s.batchesPerEpoch,
        step: s.step,
        runningLoss: round(s.runningLoss),
        samplesPerSec: Math.round(s.samplesDone / Math.max(s.elapsed, 1e-9)),
        etaSeconds: Math.round(remaining * perStep),
      };
      this.flushLosses();
      this.hub.publish('progress', this.lastProgress);
    }
    const affordable = (now - this.snapshotAt) / 1000 >= this.snapshotSeconds / SNAPSHOT_SHARE;
    if (this.hub.clientCount > 0 && s.step % this.snapshotEvery === 0 && affordable) this.publishSnapshot(s.step, s.epoch);
  }

  epoch(m: EpochMetrics): void {
    this.epochs.push(m);
    this.flushLosses();
    this.hub.publish('epoch', m);
    if (this.hub.clientCount > 0) this.publishSnapshot(m.step, m.epoch);
  }

  /** Tells every page how training ended, then ends the streams. */
  end(outcome: Outcome, message: string): void {
    this.flushLosses();
    this.ended = { status: outcome, message, checkpointEpoch: this.state.epoch, dir: this.dir };
    this.hub.publish('end', this.ended);
  }

  get hasEnded(): boolean {
    return this.ended !== null;
  }

  private flushLosses(): void {
    if (this.pendingLosses.length === 0) return;
    const points = this.pendingLosses;
    this.pendingLosses = [];
    this.losses.push(...points);
    if (this.losses.length > MAX_LOSS_POINTS) this.losses = halve(this.losses);
    this.hub.publish('losses', { points });
  }

  private publishSnapshot(step: number, epoch: number): void {
    this.lastSnapshot = this.snapshot(step, epoch);
    this.hub.publish('snapshot', this.lastSnapshot);
  }

  private snapshot(step: number, epoch: number): unknown {
    const start = performance.now();
    const { model } = this.state;
    const mu = encodeMeans(model, this.points.pixels, this.points.count, this.dim, this.points.labels);
    const latent = model.config.latent;
    // The live scatter shows the first two latent dimensions (or the only one, against zero).
    const xy = new Float32Array(this.points.count * 2);
    for (let i = 0; i < this.points.count; i++) {
      xy[2 * i] = mu[i * latent]!;
      xy[2 * i + 1] = latent > 1 ? mu[i * latent + 1]! : 0;
    }
    const labels = model.classes > 0 ? this.digits.index.map((i) => this.data.test.labels[i]!) : undefined;
    const recon = noGrad(() => model.reconstruct(new Tensor(this.digits.images, [this.digits.index.length, this.dim]), labels));
    this.snapshotAt = performance.now();
    this.snapshotSeconds = (this.snapshotAt - start) / 1000;
    return { step, epoch, xy: rounded(xy, 3), recon: toBytes(recon) };
  }

  private welcome(): ServerEvent[] {
    const { config } = this.state;
    const events: ServerEvent[] = [
      {
        type: 'run',
        data: {
          dir: this.dir,
          dataset: config.training.dataset,
          trainCount: this.data.train.count,
          testCount: this.data.test.count,
          architecture: [config.model.inputDim, ...config.model.hidden, config.model.latent].join('-'),
          model: describeModel(config.model),
          latent: config.model.latent,
          epochs: config.training.epochs,
          startEpoch: this.state.epoch,
          height: this.data.test.height,
          width: this.data.test.width,
          channels: this.data.test.channels,
          classNames: this.data.test.description.classNames,
          noun: this.data.test.description.noun,
          pointLabels: Array.from(this.points.labels),
          digits: toBytes(this.digits.images),
          digitLabels: this.digits.index.map((i) => this.data.test.labels[i]!),
        },
      },
      { type: 'losses', data: { points: this.losses, reset: true } },
      ...this.epochs.map((m) => ({ type: 'epoch', data: m })),
    ];
    if (this.lastProgress !== null) events.push({ type: 'progress', data: this.lastProgress });
    // The first page to connect sees where the untrained (or resumed) encoder puts the digits.
    this.lastSnapshot ??= this.snapshot(this.state.optimizer.step, this.state.epoch);
    events.push({ type: 'snapshot', data: this.lastSnapshot });
    if (this.ended !== null) events.push({ type: 'end', data: this.ended });
    return events;
  }
}

/** One test digit of each class when the labels allow (the first 0, the first 1, ...), else the first ten. */
function pickDigits(test: ImageDataset): { index: number[]; images: Float32Array } {
  const dim = valuesPerImage(test);
  const index: number[] = [];
  for (let label = 0; label < 10; label++) {
    const i = test.labels.indexOf(label);
    if (i !== -1) index.push(i);
  }
  if (index.length < 10) {
    for (let i = 0; i < test.count && index.length < 10; i++) if (!index.includes(i)) index.push(i);
  }
  const images = new Float32Array(index.length * dim);
  index.forEach((i, k) => images.set(imageFloats(test, i), k * dim));
  return { index, images };
}

function halve(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i += 2) out.push([points[i + 1]![0], round((points[i]![1] + points[i + 1]![1]) / 2)]);
  if (points.length % 2 === 1) out.push(points[points.length - 1]!);
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
