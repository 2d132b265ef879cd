import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags, toKebab, type ParsedFlags } from './args.js';
import type { Command } from './command.js';
import { timestampedRunDir } from './output.js';
import { UserError } from '../errors.js';
import { allowHostFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { checkLabelsFit } from '../data/labels.js';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { loadDataset, describeDatasetSpecs } from '../data/source.js';
import { pixelsPerImage, type DataSplits, type ImageDataset } from '../data/dataset.js';
import { countParameters } from '../nn/parameters.js';
import { DEFAULT_TRAINING_CONFIG, runData, type RunConfig } from '../train/config.js';
import {
  CHECKPOINT_FILE,
  createTrainingState,
  loadCheckpoint,
  saveCheckpoint,
  type TrainingState,
} from '../train/checkpoint.js';
import { appendMetrics, readMetrics, truncateMetrics, METRICS_FILE } from '../train/metrics-log.js';
import { SnapshotRecorder, SNAPSHOTS_FILE } from '../train/snapshots.js';
import { writeRunFigures } from '../viz/run-figures.js';
import { DivergedError, TrainingInterrupted, train, type EpochMetrics } from '../train/trainer.js';
import { EpochProgress, formatDuration } from '../train/progress.js';
import { DEFAULT_VAE_CONFIG, isContinuous, validateVaeConfig } from '../vae/config.js';
import { startTrainingUi, type TrainingUi } from '../server/training-ui.js';
import { parseAllowHosts } from '../server/guard.js';
import { describeModel, describeObjective } from '../vae/describe.js';
import { datasetOptionsForModel } from '../train/run-data.js';
import { validateTrainingConfig } from '../train/config.js';
import { LR_SCHEDULES, describeLr } from '../train/lr-schedule.js';
import {
  FAMILY_FLAG_NAMES,
  checkFamilyFlags,
  familyFlags,
  familyModelConfig,
  familyObjectiveConfig,
} from './family-flags.js';

const d = DEFAULT_TRAINING_CONFIG;
const flags = {
  dataset: { kind: 'string', default: d.dataset, help: `Training data: ${describeDatasetSpecs}`, valueName: 'SPEC' },
  latent: { kind: 'int', min: 1, max: 4096, default: DEFAULT_VAE_CONFIG.latent, help: 'Latent dimensions (2 gives a plane to explore)' },
  hidden: { kind: 'intList', min: 1, max: 65536, default: DEFAULT_VAE_CONFIG.hidden, help: 'Hidden layer widths, e.g. 512,256', valueName: 'H[,H...]' },
  epochs: { kind: 'int', min: 1, max: 100000, default: d.epochs, help: 'Epochs to train (with --resume: the total to reach)' },
  batchSize: { kind: 'int', min: 1, max: 1000000, default: d.batchSize, help: 'Examples per optimizer step' },
  lr: { kind: 'number', min: 0, exclusiveMin: true, max: 10, default: d.lr, help: 'Adam learning rate (the starting rate under a schedule)' },
  lrSchedule: {
    kind: 'enum',
    choices: LR_SCHEDULES,
    default: 'constant',
    help: 'constant, or cosine: anneal the rate from --lr to --lr-min over all the steps of --epochs',
  },
  lrMin: { kind: 'number', min: 0, max: 10, help: 'Final rate of --lr-schedule cosine (default lr/100)', valueName: 'LR' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: d.seed, help: 'Seed for initialization, shuffling, sampling' },
  binarize: { kind: 'enum', choices: ['none', 'dynamic'], default: d.binarize, help: 'none: grey pixels; dynamic: Bernoulli(pixel) drawn afresh each epoch' },
  trainSize: { kind: 'int', min: 1, max: 1e9, help: 'Use only the first N training images (quick experiments)', valueName: 'N' },
  testSize: { kind: 'int', min: 1, max: 1e9, help: 'Evaluate on only the first N test images', valueName: 'N' },
  out: { kind: 'string', help: 'Run folder (default: runs/<timestamp>)', valueName: 'DIR' },
  resume: { kind: 'string', help: 'Continue the run in DIR from its last checkpoint', valueName: 'DIR' },
  kernels: kernelsFlag,
  ui: { kind: 'bool', help: 'Follow training in the browser (live dashboard at http://127.0.0.1:PORT/live, with a stop button)' },
  port: { kind: 'int', min: 0, max: 65535, default: 8080, help: 'Port of the --ui server (0: any free port)' },
  allowHost: allowHostFlag,
  ...familyFlags,
} as const;

/** With --resume the run's own settings hold; only the target epoch count may change. */
const FIXED_ON_RESUME = [
  'dataset',
  'latent',
  'hidden',
  'batchSize',
  'lr',
  'lrSchedule',
  'lrMin',
  'seed',
  'binarize',
  'trainSize',
  'testSize',
  'out',
  ...FAMILY_FLAG_NAMES,
] as const;

export const trainCommand: Command = {
  name: 'train',
  summary:
    'Train a VAE (MLP or conv networks, Bernoulli or Gaussian pixels, optionally conditioned on the label) with Adam, ' +
    'on the ELBO, a beta-weighted ELBO or the importance-weighted bound. ' +
    'Writes a checkpoint and a line of metrics.jsonl after every epoch, and every figure with report.html at the end.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae train', argv, flags);
    const given = (key: string): boolean => argv.some((a) => a === `--${toKebab(key)}` || a.startsWith(`--${toKebab(key)}=`));
    if (given('port') && !opts.ui) throw new UserError('vae train: --port is for the dashboard server; add --ui');
    if (given('allowHost') && !opts.ui) throw new UserError('vae train: --allow-host is for the dashboard server; add --ui');
    const allowHosts = parseAllowHosts(opts.allowHost);

    const kernelsInUse = applyKernels(opts.kernels);
    // `data` is let so that the training images can be let go before the figures are drawn.
    let { state, dir, data }: { state: TrainingState; dir: string; data: DataSplits | null } =
      opts.resume !== undefined ? resumeRun(opts.resume, opts, given) : startRun(opts);
    state.config.kernels = kernelsInUse;
    const controller = new AbortController();
    // The dashboard's stop button takes Ctrl-C's path: stop between two steps, keep the last checkpoint.
    const stop = (): void => {
      process.stderr.write('\nstopping after this step (asked from the dashboard)\n');
      controller.abort();
    };
    const ui: TrainingUi | null = opts.ui
      ? await startTrainingUi({ state, data, dir, host: '127.0.0.1', port: opts.port, allowHosts, stop, stopping: () => controller.signal.aborted })
      : null;
    writeFileAtomic(join(dir, 'config.json'), JSON.stringify(state.config, null, 2) + '\n');
    printHeader(state, data, dir);
    if (ui !== null) process.stdout.write(`live dashboard: ${ui.urls.join('\n             or ')}\n`);
    if (ui?.warning) process.stderr.write(`vae train: ${ui.warning}\n`);
    const snapshots = SnapshotRecorder.open(dir, state, data);
    if (snapshots.warning !== undefined) process.stderr.write(`vae train: ${snapshots.warning}\n`);

    const onSignal = (): void => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (press Ctrl-C again to quit at once)\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let progress: EpochProgress | null = null;
    const sink = process.stderr;
    let history: EpochMetrics[];
    try {
      history = await train(state, data, {
        signal: controller.signal,
        onStep: (s) => {
          if (s.batch === 0) {
            progress = new EpochProgress({ sink, epoch: s.epoch, epochs: state.config.training.epochs, totalBatches: s.batchesPerEpoch });
          }
          progress?.update(s.batch + 1, s.runningLoss, s.samplesDone);
          ui?.step(s);
          snapshots.onStep(s.step);
        },
        onEpoch: (m, st) => {
          progress?.finish();
          progress = null;
          process.stdout.write(summaryLine(m, st.config.training.epochs) + '\n');
          appendMetrics(dir, m);
          snapshots.save();
          saveCheckpoint(dir, st);
          ui?.epoch(m);
        },
      });
    } catch (err) {
      (progress as EpochProgress | null)?.finish();
      if (err instanceof TrainingInterrupted) {
        const message =
          err.epoch > 0
            ? `interrupted during epoch ${err.epoch + 1}; the checkpoint of epoch ${err.epoch} is in ${dir}\n` +
              `continue with: vae train --resume ${dir}\n`
            : 'interrupted during epoch 1; no epoch was completed, so there is no checkpoint\n';
        process.stderr.write(message);
        ui?.end('stopped', message);
        await ui?.close();
        return 130;
      }
      if (err instanceof DivergedError) {
        const kept = state.epoch > 0 ? `the last good checkpoint (epoch ${state.epoch}) is in ${dir}` : 'no checkpoint was written';
        ui?.end('failed', `${err.message}; ${kept}`);
        await ui?.close();
        throw new UserError(`vae train: ${err.message}; ${kept}`);
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    // The figures need the test images only; dropping the rest keeps the peak memory of a run
    // near that of its training loop.
    const test = data.test;
    data = null;
    writeFigures(state, test, dir, snapshots);
    const last = history[history.length - 1];
    const total = history.reduce((s, m) => s + m.seconds, 0);
    process.stdout.write(
      `done: ${plural(state.epoch, 'epoch')}${last ? `, test NELBO ${last.test_nelbo.toFixed(2)} nats` : ''}, training time ${formatDuration(total)}\n` +
        `results in ${dir}/: ${CHECKPOINT_FILE}, ${METRICS_FILE}, ${SNAPSHOTS_FILE}, config.json, and the figures in report.html\n`,
    );
    ui?.end('done', `${plural(state.epoch, 'epoch')}${last ? `, test NELBO ${last.test_nelbo.toFixed(2)} nats` : ''}`);
    await ui?.close();
    return 0;
  },
};

type TrainFlags = ParsedFlags<typeof flags>;

interface PreparedRun {
  state: TrainingState;
  dir: string;
  data: DataSplits;
}

/** A run continued from its checkpoint: its own settings, maybe a new target epoch count. */
function resumeRun(dir: string, opts: TrainFlags, given: (key: string) => boolean): PreparedRun {
  const fixed = FIXED_ON_RESUME.find(given);
  if (fixed !== undefined) throw new UserError(`vae train: --${toKebab(fixed)} cannot be changed when resuming; a resumed run keeps its settings`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`vae train: --resume needs a run folder, got the file ${dir}`);
  const state = loadCheckpoint(dir);
  if (given('epochs')) state.config.training.epochs = opts.epochs;
  if (state.epoch >= state.config.training.epochs) {
    throw new UserError(
      `vae train: the run in ${dir} has already trained ${state.epoch} of ${state.config.training.epochs} epochs; pass --epochs N with N > ${state.epoch} to train further`,
    );
  }
  const data = runData(loadDataset(state.config.training.dataset, datasetOptionsForModel(state)), state.config.training);
  for (const [split, set] of [['training', data.train], ['test', data.test]] as const) checkLabelsFit('vae train', state.model.classes, set, split);
  ensureWritableDir(dir);
  truncateMetrics(dir, state.epoch);
  return { state, dir, data };
}

/** A new run: everything is checked before its folder is created. */
function startRun(opts: TrainFlags): PreparedRun {
  checkFamilyFlags(opts);
  if (opts.lrMin !== undefined && opts.lrSchedule !== 'cosine') throw new UserError('vae train: --lr-min is where the cosine schedule ends; add --lr-schedule cosine');
  const all = loadDataset(opts.dataset, { imageSize: opts.imageSize, seed: opts.seed });
  const config: RunConfig = {
    model: {
      inputDim: pixelsPerImage(all.train),
      imageHeight: all.train.height,
      imageWidth: all.train.width,
      hidden: opts.hidden,
      latent: opts.latent,
      ...familyModelConfig(opts, all),
    },
    training: {
      dataset: opts.dataset,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      lr: opts.lr,
      ...(opts.lrSchedule !== 'constant' ? { lrSchedule: opts.lrSchedule } : {}),
      ...(opts.lrMin !== undefined ? { lrMin: opts.lrMin } : {}),
      seed: opts.seed,
      binarize: opts.binarize,
      ...(opts.trainSize !== undefined ? { trainSize: opts.trainSize } : {}),
      ...(opts.testSize !== undefined ? { testSize: opts.testSize } : {}),
      ...familyObjectiveConfig(opts),
    },
    kernels: '',
  };
  try {
    validateVaeConfig(config.model);
    validateTrainingConfig(config.training);
  } catch (err) {
    throw new UserError(`vae train: ${(err as Error).message}`);
  }
  const dir = opts.out ?? freshRunDir();
  if (existsSync(join(dir, CHECKPOINT_FILE))) {
    throw new UserError(`vae train: ${dir} already holds a run; continue it with --resume ${dir}, or choose another --out`);
  }
  if (existsSync(join(dir, METRICS_FILE))) {
    // A log without a checkpoint is a run that failed before its first save; keep it for its owner.
    throw new UserError(`vae train: ${dir} already has a ${METRICS_FILE}; remove it or choose another --out`);
  }
  ensureWritableDir(dir);
  return { state: createTrainingState(config), dir, data: runData(all, config.training) };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function freshRunDir(): string {
  const base = timestampedRunDir();
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

function printHeader(state: TrainingState, data: DataSplits, dir: string): void {
  const { model, training } = state.config;
  const lines = [
    `vae train: ${training.dataset}, ${data.train.count} train / ${data.test.count} test images of ${data.train.height}x${data.train.width}` +
      (training.binarize === 'dynamic' ? ', dynamically binarized' : isContinuous(model.likelihood) ? ', dequantized' : ''),
    `model: ${describeModel(model)}, ${countParameters(state.model.parameters()).toLocaleString('en-US')} parameters; objective ${describeObjective(training)}`,
    `training: ${plural(training.epochs, 'epoch')}, batch ${training.batchSize}, Adam lr ${describeLr(training)}, seed ${training.seed}, kernels ${state.config.kernels}` +
      (state.epoch > 0 ? `, resuming after epoch ${state.epoch}` : ''),
    `run folder: ${dir}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function summaryLine(m: EpochMetrics, epochs: number): string {
  return (
    `epoch ${m.epoch}/${epochs}  train ${m.train_nelbo.toFixed(2)}  test ${m.test_nelbo.toFixed(2)} ` +
    `(recon ${m.test_recon.toFixed(2)} + KL ${m.test_kl.toFixed(2)}) nats  ${m.seconds.toFixed(1)} s  ${Math.round(m.samples_per_sec)} samples/s`
  );
}

/** Every figure of the finished model (src/viz/run-figures.ts), as `vae report` would draw them. */
function writeFigures(state: TrainingState, test: ImageDataset, dir: string, snapshots: SnapshotRecorder): void {
  writeRunFigures(dir, {
    model: state.model,
    config: state.config,
    epoch: state.epoch,
    step: state.optimizer.step,
    test,
    history: readMetrics(dir),
    snapshots: snapshots.record,
    seed: 0,
  });
}
