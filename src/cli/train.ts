import { parseFlagsGiven } from './args.js';
import type { Command } from './command.js';
import { countParameters } from '../nn/parameters.js';
import { CHECKPOINT_FILE } from '../train/checkpoint.js';
import { METRICS_FILE } from '../train/metrics-log.js';
import { SNAPSHOTS_FILE } from '../train/snapshots.js';
import { describeLr } from '../train/lr-schedule.js';
import { formatDuration } from '../train/progress.js';
import { isContinuous } from '../vae/config.js';
import { describeModel } from '../vae/describe.js';
import { writeRunFigures } from '../viz/run-figures.js';
import { startTrainingUi, type TrainingUi } from '../server/training-ui.js';
import { parseAllowHosts } from '../server/guard.js';
import { TRAIN_SETTINGS } from '../run/settings.js';
import { describeRunLength, openRun, planNewRun, planResume, type RunPlan } from '../run/plan.js';
import { augmentationFor, augmentKindOf, describeAugmentation } from '../data/augment.js';
import { dataDescriptionOf } from '../train/config.js';
import type { RunFolder } from '../run/folder.js';
import { trainRun } from '../run/train-run.js';
import { progressListener } from '../run/progress.js';
import { liveFeedListener } from '../run/live-feed.js';
import { snapshotsListener } from '../run/snapshots.js';
import { metricsLogListener } from '../run/metrics-log.js';
import { checkpointListener } from '../run/checkpoint.js';
import { figuresListener } from '../run/figures.js';
import { describeObjective } from '../vae/describe.js';

const say = (line: string): void => void process.stderr.write(line + '\n');

export const trainCommand: Command = {
  name: 'train',
  summary:
    'Train a VAE (MLP or conv networks, Bernoulli or Gaussian pixels, optionally conditioned on the label) with Adam, ' +
    'on the ELBO, a beta-weighted ELBO or the importance-weighted bound. ' +
    'Writes a checkpoint and a line of metrics.jsonl after every epoch, and every figure with report.html at the end.',
  flags: TRAIN_SETTINGS,
  async run(argv) {
    // Flags -> one resolved run: every setting decided, the kernels chosen, data and model ready.
    const { values, given } = parseFlagsGiven('vae train', argv, TRAIN_SETTINGS);
    const plan = values.resume !== undefined ? planResume(values, given) : planNewRun(values, given);
    if (plan.kernelsNotice !== null) say(plan.kernelsNotice);
    if (plan.dataNotice !== null) say(plan.dataNotice);

    // The dashboard listens before the run folder is made, so a busy port leaves nothing behind.
    // Its stop button takes Ctrl-C's path: stop between two steps, keep the last checkpoint.
    const stop = new AbortController();
    const ui: TrainingUi | null =
      plan.ui === null
        ? null
        : await startTrainingUi({
            ...plan.ui,
            allowHosts: parseAllowHosts(values.allowHost),
            state: plan.state,
            data: plan.data,
            dir: plan.dir,
            stop: () => {
              say('\nstopping after this step (asked from the dashboard)');
              stop.abort();
            },
            stopping: () => stop.signal.aborted,
          });

    // The folder is this run's alone from here: locked, tidied, config.json written.
    let folder: RunFolder;
    try {
      folder = openRun(plan, say);
    } catch (err) {
      await ui?.close();
      throw err;
    }
    printHeader(plan);
    if (ui !== null) process.stdout.write(`live dashboard: ${ui.urls.join('\n             or ')}\n`);
    if (ui?.warning) say(`vae train: ${ui.warning}`);

    // Each epoch ends with its metrics line, its latent snapshots, then its checkpoint (the
    // order that makes a killed run resumable); the
    // figures and report.html come when training is done.
    const { state, dir } = plan;
    const snapshots = snapshotsListener(dir, state, plan.data, (w) => say(`vae train: ${w}`));
    const end = await trainRun(
      plan,
      folder,
      [
        progressListener(process.stderr, process.stdout, state.config.training.epochs, state.config.training.steps),
        metricsLogListener(dir),
        snapshots,
        checkpointListener(dir),
        figuresListener(dir, state, plan.data.test, () => snapshots.recorder.record, writeRunFigures),
        ...(ui === null ? [] : [liveFeedListener(ui)]),
      ],
      stop,
      say,
    );
    if (end.outcome === 'stopped') {
      say(end.message);
      await ui?.close();
      return 130;
    }
    const total = end.history.reduce((s, m) => s + m.seconds, 0);
    process.stdout.write(
      `done: ${end.message}, training time ${formatDuration(total)}\n` +
        `results in ${dir}/: ${CHECKPOINT_FILE}, ${METRICS_FILE}, ${SNAPSHOTS_FILE}, config.json, and the figures in report.html\n`,
    );
    if (ui !== null) {
      process.stdout.write(`the dashboard and the explorer of the final model stay at ${ui.url} until Ctrl-C\n`);
      await ui.serveUntilInterrupted();
    }
    return 0;
  },
};

function printHeader({ state, data, dir, start, settings, lengthNotice, testNotice, augmentByDefault, planeByDefault }: RunPlan): void {
  const { model, training } = settings;
  const lines = [
    `vae train: ${training.dataset}, ${data.train.count} train / ${data.test.count} test ${data.train.channels === 3 ? 'colour ' : ''}images of ${data.train.height}x${data.train.width}` +
      (data.preparation !== undefined ? ` (${data.preparation})` : '') +
      (training.binarize === 'dynamic' ? ', dynamically binarized' : isContinuous(model.likelihood) ? ', dequantized' : ''),
    `model: ${describeModel(model)}, ${countParameters(state.model.parameters()).toLocaleString('en-US')} parameters; objective ${describeObjective(training)}`,
    `training: ${describeRunLength(training, data.train.count)}, batch ${training.batchSize}, Adam lr ${describeLr(training)}, seed ${training.seed}, kernels ${settings.kernels}` +
      (start === 'resume' ? `, resuming after ${state.partial !== undefined ? `step ${state.optimizer.step}` : `epoch ${state.epoch}`}` : ''),
    ...(planeByDefault === true ? [`a 2-dimensional latent, the default for a small collection of grey images: a plane of their styles to explore; --latent sets another size`] : []),
    ...(lengthNotice !== undefined ? [lengthNotice] : []),
    ...(testNotice !== undefined ? [testNotice] : []),
    ...(augmentKindOf(training.augment) !== null
      ? [
          `augmentation: ${describeAugmentation(augmentationFor(model, dataDescriptionOf(state.config), augmentKindOf(training.augment)!))}` +
            (augmentByDefault === true ? ' (the default for a small collection of grey images; --augment none turns it off)' : ''),
        ]
      : []),
    `run folder: ${dir}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
