/**
 * One run, resolved once: from what the user asked for (a new run) or from the run folder's
 * checkpoint (a resume), the complete configuration, the kernels chosen, the data loaded and
 * the model built, all before the folder is touched. `openRun` then takes the folder: it
 * locks it and puts it in the state the run continues from.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { isPreparedDataset, loadDataset, parseImageSize, type DatasetOptions } from '../data/source.js';
import type { ImageShape } from '../data/folder.js';
import { checkLabelsFit } from '../data/labels.js';
import { checkDatasetUnchanged } from '../data/fingerprint.js';
import { datasetOptionsForModel } from '../train/run-data.js';
import { valuesPerImage, type DataSplits } from '../data/dataset.js';
import { describeKernels } from '../kernels/select.js';
import { useKernels } from '../engine/use-kernels.js';
import { CHECKPOINT_FILE, createTrainingState, loadCheckpoint, type TrainingState } from '../train/checkpoint.js';
import { resolveTrainingConfig, runData, runDataConfig, validateRunDataConfig, validateTrainingConfig, type ResolvedTrainingConfig, type RunConfig, type TrainingConfig } from '../train/config.js';
import { truncateMetrics } from '../train/metrics-log.js';
import {
  CONV_CHANNELS,
  DEFAULT_SIGMA,
  archOf,
  channelsOf,
  classesOf,
  convChannelsOf,
  convSizeProblem,
  gaussianMeanOf,
  isContinuous,
  validateVaeConfig,
  type Architecture,
  type GaussianMean,
  type VaeConfig,
} from '../vae/config.js';
import { CONFIG_FILE, REPORT_FILE, clearPartialRun, freshRunDir, openRunFolder, partialRunFiles, type RunFolder } from './folder.js';
import { assertNotLocked } from './lock.js';
import { minimumRows } from '../train/partial-correlation.js';
import { DEFAULT_IWAE_K, DEFAULT_SMALL_STEPS, DEFAULT_UI_HOST, FIXED_ON_RESUME, SMALL_COLLECTION, SMALL_FOLDER_TEST_IMAGES, flagName, type SettingName, type TrainRequest } from './settings.js';
import { DEFAULT_TEST_FRACTION } from '../data/folder.js';
import { numBatches } from '../data/batches.js';
import { resolveAugmentChoice } from '../data/augment.js';

const COMMAND = 'vae train';
const MIN_IMAGE_SIDE = 4;
const MAX_IMAGE_SIDE = 512;

/** A model config with every optional setting filled in with what its absence means. */
export interface ResolvedVaeConfig extends VaeConfig {
  gaussianMean: GaussianMean;
  arch: Architecture;
  classes: number;
  channels: number;
}

/** Every setting of a run, nothing left to a default read later. */
export interface RunSettings {
  model: ResolvedVaeConfig;
  training: ResolvedTrainingConfig;
  kernels: string;
}

/**
 * The complete view of a saved config. The saved form keeps optional settings absent, so that
 * config.json and checkpoints of the same settings keep the same bytes, old ones included.
 */
export function resolveSettings(config: RunConfig): RunSettings {
  const m = config.model;
  return {
    model: {
      ...m,
      ...(m.likelihood === 'gaussian-fixed' ? { sigma: m.sigma ?? DEFAULT_SIGMA } : {}),
      gaussianMean: gaussianMeanOf(m),
      arch: archOf(m),
      classes: classesOf(m),
      channels: channelsOf(m),
      ...(archOf(m) === 'conv' ? { convChannels: convChannelsOf(m) } : {}),
    },
    training: resolveTrainingConfig(config.training),
    kernels: config.kernels,
  };
}

export type RunStart = 'new' | 'resume' | 'restart';

export interface RunPlan {
  dir: string;
  /** new: a fresh run; resume: from the checkpoint; restart: a run stopped before its first checkpoint, from its config.json. */
  start: RunStart;
  state: TrainingState;
  data: DataSplits;
  settings: RunSettings;
  /** Where the dashboard listens, with --ui. */
  ui: { host: string; port: number } | null;
  /** A line for the user about the kernels (auto fell back to js), or null. */
  kernelsNotice: string | null;
  /** Set when the run's length is the default for small collections: one line saying so. */
  lengthNotice?: string;
  /** Set when a small folder holds out more than the default share for testing: one line saying so. */
  testNotice?: string;
  /** Set when the run is augmented by default (a small grey folder), not by --augment. */
  augmentByDefault?: true;
  /** Set when the run's latent is 2-D by default (a small grey folder), not by --latent. */
  planeByDefault?: true;
  /** Set when unreadable images of a folder were skipped (--skip-bad-images): one line saying how many. */
  dataNotice: string | null;
  /** The checkpoint as it was read, so that openRun can tell whether it changed since. */
  checkpointStamp: string | null;
}

function fail(message: string): never {
  throw new UserError(`${COMMAND}: ${message}`);
}

/** The flags of the dashboard server: meaningless without --ui. */
function uiOf(req: TrainRequest, given: ReadonlySet<string>): RunPlan['ui'] {
  for (const name of ['port', 'host', 'allowHost'] as const) {
    if (given.has(name) && !req.ui) fail(`${flagName(name)} is for the dashboard server; add --ui`);
  }
  return req.ui ? { host: req.host ?? DEFAULT_UI_HOST, port: req.port } : null;
}

function chooseKernels(req: TrainRequest): { kernels: string; notice: string | null } {
  const selection = useKernels(req.kernels);
  return { kernels: describeKernels(selection), notice: selection.notice };
}

/** Combinations that make no sense, refused before anything is loaded or written. */
function checkCombinations(req: TrainRequest): void {
  if (req.sigma !== undefined && req.likelihood !== 'gaussian-fixed') fail('--sigma sets the fixed standard deviation of --likelihood gaussian-fixed');
  if (req.k !== undefined && req.objective !== 'iwae') fail('--k sets the importance samples of --objective iwae');
  if (req.objective === 'iwae' && (req.beta !== undefined || req.klWarmup !== undefined)) fail('--beta and --kl-warmup weight the ELBO; --objective iwae takes neither');
  if (req.objective === 'btcvae' && req.klWarmup !== undefined) fail('--kl-warmup ramps the weight of the ELBO; --objective btcvae takes none');
  if (req.convChannels !== undefined && req.arch !== 'conv') fail('--conv-channels sets the stages of --arch conv; add --arch conv');
  if (req.likelihood !== 'bernoulli' && req.binarize === 'dynamic') {
    const over = req.likelihood === 'logistic' ? 'a distribution over the 256 grey levels' : 'a density over grey pixels';
    fail(`--likelihood ${req.likelihood} is ${over}; it cannot be fitted to binarized ones (drop --binarize dynamic)`);
  }
  const prepared = isPreparedDataset(req.dataset);
  for (const name of ['imageSize', 'channels', 'testFraction'] as const) {
    if (req[name] !== undefined && !prepared) fail(`${flagName(name)} applies to folder: and emoji datasets; other datasets come as their files have them`);
  }
  if (req.fit !== undefined && !req.dataset.startsWith('folder:')) fail('--fit applies to folder: datasets, whose images may differ in shape');
  if (req.skipBadImages && !req.dataset.startsWith('folder:')) fail('--skip-bad-images applies to folder: datasets');
  if (req.augment !== undefined && req.augment !== 'none' && !prepared) fail('--augment applies to folder: and emoji datasets; the others are large enough to train without it');
  if (req.lrMin !== undefined && req.lrSchedule !== 'cosine') fail('--lr-min is where the cosine schedule ends; add --lr-schedule cosine');
}

/** How a new run loads its data, from its flags. */
function datasetOptionsOf(req: TrainRequest): DatasetOptions {
  let imageSize: ImageShape | undefined;
  if (req.imageSize !== undefined) {
    const shape = parseImageSize(req.imageSize);
    if (shape === null) fail(`--image-size takes N or HxW (height x width), e.g. 64 or 64x48; got "${req.imageSize}"`);
    for (const side of [shape.height, shape.width]) if (side < MIN_IMAGE_SIDE || side > MAX_IMAGE_SIDE) fail(`--image-size sides must be ${MIN_IMAGE_SIDE} to ${MAX_IMAGE_SIDE}, got ${req.imageSize}`);
    imageSize = shape;
  }
  return {
    ...(imageSize !== undefined ? { imageSize } : {}),
    ...(req.channels !== undefined ? { channels: req.channels === '3' ? 3 : 1 } : {}),
    ...(req.fit !== undefined ? { fit: req.fit } : {}),
    ...(req.testFraction !== undefined ? { testFraction: req.testFraction } : {}),
    // A new run of a small folder holds out enough images to measure on (recorded, so a resume splits the same).
    ...(req.testFraction === undefined && req.dataset.startsWith('folder:') ? { minTestImages: SMALL_FOLDER_TEST_IMAGES } : {}),
    seed: req.seed,
    skipBadImages: req.skipBadImages,
    // A generated dataset (dsprites) renders only the images the run uses.
    ...(req.trainSize !== undefined ? { trainSize: req.trainSize } : {}),
    ...(req.testSize !== undefined ? { testSize: req.testSize } : {}),
  };
}

/**
 * The saved config of a new run. Settings at their "absent" meaning are left out, as they
 * always were, so a default run's config.json and checkpoint keep their bytes.
 */
/**
 * How long a new run trains: --steps, --epochs, or (neither given, a small folder) the default
 * number of steps for small collections. Steps are recorded with the epochs they touch.
 */
function runLength(req: TrainRequest, given: ReadonlySet<string>, trainCount: number): Pick<TrainingConfig, 'epochs' | 'steps'> {
  if (given.has('epochs') && given.has('steps')) fail('--epochs and --steps both set how long to train; give one');
  const small = req.dataset.startsWith('folder:') && trainCount < SMALL_COLLECTION && !given.has('epochs');
  const steps = req.steps ?? (small ? DEFAULT_SMALL_STEPS : undefined);
  if (steps === undefined) return { epochs: req.epochs };
  return { epochs: Math.ceil(steps / numBatches(trainCount, req.batchSize)), steps };
}

/** The run's length in words: `10 epochs`, or `3000 steps (188 epochs of 16 batches, the last cut short)`. */
export function describeRunLength(training: TrainingConfig, trainCount: number): string {
  if (training.steps === undefined) return `${training.epochs} epoch${training.epochs === 1 ? '' : 's'}`;
  const perEpoch = numBatches(trainCount, training.batchSize);
  const short = training.steps % perEpoch !== 0;
  return `${training.steps} step${training.steps === 1 ? '' : 's'} (${training.epochs} epoch${training.epochs === 1 ? '' : 's'} of ${perEpoch} batch${perEpoch === 1 ? '' : 'es'}${short ? ', the last cut short' : ''})`;
}

/**
 * Whether a new run without --augment is augmented anyway: a small folder of grey images is
 * augmented as handwriting. On generated handwriting (60 and 200 samples) and on 200 MNIST
 * digits it lowered the held-out NELBO a lot, and without it a 60-sample run overfits within
 * 200 of its 1,000 steps (README, "Small collections"). Colour folders keep their shifts
 * opt-in: they were not measured here.
 */
function augmentsByDefault(req: TrainRequest, data: DataSplits, trainCount: number): boolean {
  return req.augment === undefined && req.dataset.startsWith('folder:') && trainCount < SMALL_COLLECTION && data.train.channels === 1;
}

/** The augmentation a new run records: --augment's kind, auto resolved by the data's channels; or the small grey folder's default. */
function augmentOf(req: TrainRequest, data: DataSplits, trainCount: number): Pick<TrainingConfig, 'augment'> {
  const choice = req.augment ?? (augmentsByDefault(req, data, trainCount) ? 'auto' : undefined);
  const kind = choice === undefined ? null : resolveAugmentChoice(choice, data.train.channels);
  return kind === null ? {} : { augment: kind };
}

/** The latent size of a small grey folder when --latent is not given: a plane. */
export const SMALL_GREY_FOLDER_LATENT = 2;

/**
 * Whether a new run without --latent gets a 2-D latent: a small folder of grey images, the
 * explainer's class of handwriting. Its question is a map of the class's styles, which a
 * plane is; the explorer shows it as it is, and its held-out images (16 of 60) are enough to
 * name two dimensions' factors, where 20 dimensions would need 22. Twenty dimensions fit
 * held-out pictures better (README, "Small collections"), so --latent 20 is there for that.
 */
function planeByDefault(req: TrainRequest, given: ReadonlySet<string>, data: DataSplits, trainCount: number): boolean {
  return !given.has('latent') && req.dataset.startsWith('folder:') && trainCount < SMALL_COLLECTION && data.train.channels === 1;
}

function newRunConfig(req: TrainRequest, given: ReadonlySet<string>, data: DataSplits, kernels: string): RunConfig {
  let classes = 0;
  if (req.conditional) {
    for (const split of [data.train, data.test]) for (const l of split.labels) classes = Math.max(classes, l + 1);
    // A folder without class folders has no classes at all, not one.
    const unlabelled = data.train.description.classNames.length === 0 && req.dataset.startsWith('folder:');
    if (classes < 2) fail(`--conditional needs labelled data with at least two classes; ${data.name} has ${unlabelled ? 'none: its images are not in class folders' : classes}`);
  }
  if (req.arch === 'conv') {
    const problem = convSizeProblem(data.train.height, data.train.width, (req.convChannels ?? CONV_CHANNELS).length);
    if (problem !== null) fail(problem + (req.dataset.startsWith('folder:') ? ' (set one with --image-size)' : ''));
  }
  const model: VaeConfig = {
    inputDim: valuesPerImage(data.train),
    imageHeight: data.train.height,
    imageWidth: data.train.width,
    // Absent means grey, so grey runs keep the config they always had.
    ...(data.train.channels !== 1 ? { channels: data.train.channels } : {}),
    hidden: req.hidden,
    latent: planeByDefault(req, given, data, Math.min(req.trainSize ?? data.train.count, data.train.count)) ? SMALL_GREY_FOLDER_LATENT : req.latent,
    likelihood: req.likelihood,
    ...(req.likelihood === 'gaussian-fixed' ? { sigma: req.sigma ?? DEFAULT_SIGMA } : {}),
    // New Gaussian decoders keep their means inside (0, 1), like the pixels (see GaussianMean).
    ...(isContinuous(req.likelihood) ? { gaussianMean: 'sigmoid' as const } : {}),
    ...(req.arch !== 'mlp' ? { arch: req.arch } : {}),
    ...(req.convChannels !== undefined ? { convChannels: req.convChannels } : {}),
    ...(classes > 0 ? { classes } : {}),
  };
  const objective: Pick<TrainingConfig, 'objective' | 'k' | 'beta' | 'klWarmup'> =
    req.objective === 'iwae'
      ? { objective: 'iwae', k: req.k ?? DEFAULT_IWAE_K }
      : {
          ...(req.objective === 'btcvae' ? { objective: 'btcvae' as const } : {}),
          ...(req.beta !== undefined ? { beta: req.beta } : {}),
          ...(req.klWarmup !== undefined ? { klWarmup: req.klWarmup } : {}),
        };
  const trainCount = Math.min(req.trainSize ?? data.train.count, data.train.count);
  const training: TrainingConfig = {
    dataset: req.dataset,
    ...runLength(req, given, trainCount),
    batchSize: req.batchSize,
    lr: req.lr,
    ...(req.lrSchedule !== 'constant' ? { lrSchedule: req.lrSchedule } : {}),
    ...(req.lrMin !== undefined ? { lrMin: req.lrMin } : {}),
    seed: req.seed,
    binarize: req.binarize,
    ...(req.trainSize !== undefined ? { trainSize: req.trainSize } : {}),
    ...(req.testSize !== undefined ? { testSize: req.testSize } : {}),
    ...augmentOf(req, data, trainCount),
    ...(req.testFraction !== undefined
      ? { testFraction: req.testFraction }
      : data.testFraction !== undefined && data.testFraction !== DEFAULT_TEST_FRACTION
        ? { testFraction: data.testFraction }
        : {}),
    // Kept so the images are fitted the same way again when the run is resumed or looked at.
    ...(req.dataset.startsWith('folder:') ? { fit: req.fit ?? 'crop' } : {}),
    ...objective,
  };
  return { model, training, kernels, data: runDataConfig(data.train) };
}

function validateConfig(config: RunConfig): void {
  try {
    validateVaeConfig(config.model);
    validateTrainingConfig(config.training);
  } catch (err) {
    fail((err as Error).message);
  }
}

/** A new run: everything checked and built before its folder is created. */
export function planNewRun(req: TrainRequest, given: ReadonlySet<string>): RunPlan {
  checkCombinations(req);
  const ui = uiOf(req, given);
  const { kernels, notice } = chooseKernels(req);
  const all = loadDataset(req.dataset, datasetOptionsOf(req));
  const config = newRunConfig(req, given, all, kernels);
  validateConfig(config);
  const dir = req.out ?? freshRunDir();
  assertNotLocked(dir, COMMAND);
  if (existsSync(join(dir, CHECKPOINT_FILE))) fail(`${dir} already holds a run; continue it with --resume ${dir}, or choose another --out`);
  const state = createTrainingState(config);
  if (all.record !== undefined) state.dataset = all.record;
  const skipped = all.skipped ?? [];
  return {
    dir,
    start: 'new',
    state,
    data: runData(all, config.training),
    settings: resolveSettings(config),
    ui,
    kernelsNotice: notice,
    ...(config.training.steps !== undefined && !given.has('steps')
      ? {
          lengthNotice:
            `a small collection (${config.training.trainSize ?? all.train.count} training images, fewer than ${SMALL_COLLECTION}): ` +
            `training ${config.training.steps} steps, which give recognizable samples; --epochs or --steps sets another length`,
        }
      : {}),
    ...(config.training.testFraction !== undefined && req.testFraction === undefined
      ? {
          testNotice:
            `a small folder: ${all.test.count} of ${all.train.count + all.test.count} images held out for testing ` +
            `(${Math.round(DEFAULT_TEST_FRACTION * 100)}% would be ${Math.max(1, Math.round((all.train.count + all.test.count) * DEFAULT_TEST_FRACTION))}, too few for a held-out NELBO or vae factors to say much); --test-fraction sets another share` +
            factorsShortfall(all.test.count, config.model.latent),
        }
      : req.dataset.startsWith('folder:') && req.testFraction === undefined && factorsShortfall(all.test.count, config.model.latent) !== ''
        ? { testNotice: `${all.test.count} of ${all.train.count + all.test.count} images held out for testing` + factorsShortfall(all.test.count, config.model.latent) }
        : {}),
    ...(augmentsByDefault(req, all, Math.min(req.trainSize ?? all.train.count, all.train.count)) ? { augmentByDefault: true as const } : {}),
    ...(planeByDefault(req, given, all, Math.min(req.trainSize ?? all.train.count, all.train.count)) ? { planeByDefault: true as const } : {}),
    dataNotice: skipped.length > 0 ? `skipped ${skipped.length} unreadable image${skipped.length === 1 ? '' : 's'} (the first: ${skipped[0]!.reason})` : null,
    checkpointStamp: null,
  };
}

/**
 * What a small folder's held-out images still cannot give: `vae factors` names a dimension by
 * partial correlation over all the latent dimensions, which needs latent + 2 test images, so a
 * class's 60 drawings (15 held out) at the default 20 dimensions get no named factor at all.
 */
function factorsShortfall(testCount: number, latent: number): string {
  const needed = minimumRows(latent);
  if (testCount >= needed) return '';
  const fewer = testCount >= minimumRows(2) ? `--latent ${testCount - 2} or fewer (--latent 2 gives a plane to explore), or ` : '';
  return `; vae factors needs ${needed} test images to name the factors of ${latent} latent dimensions: ${fewer}a larger --test-fraction`;
}

function stampOf(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

/** The config.json of a run that wrote one and then stopped before its first checkpoint. */
function configOfUnfinishedStart(dir: string): RunConfig {
  const path = join(dir, CONFIG_FILE);
  const nothing = `no checkpoint in ${dir} (expected ${join(dir, CHECKPOINT_FILE)})`;
  if (!existsSync(path)) fail(nothing);
  let config: RunConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as RunConfig;
    if (typeof config !== 'object' || config === null) throw new RangeError('not an object');
    validateVaeConfig(config.model);
    validateTrainingConfig(config.training);
    validateRunDataConfig(config.data);
  } catch (err) {
    fail(`${nothing}, and its ${CONFIG_FILE} cannot start it again: ${(err as Error).message}`);
  }
  return config;
}

/** A run continued from its folder: its own settings, maybe a new target epoch count. */
export function planResume(req: TrainRequest, given: ReadonlySet<string>): RunPlan {
  const dir = req.resume;
  if (dir === undefined) throw new Error('planResume needs --resume');
  const fixed = FIXED_ON_RESUME.find((name: SettingName) => given.has(name));
  if (fixed !== undefined) fail(`${flagName(fixed)} cannot be changed when resuming; a resumed run keeps its settings`);
  const ui = uiOf(req, given);
  const { kernels, notice } = chooseKernels(req);
  if (existsSync(dir) && !statSync(dir).isDirectory()) fail(`--resume needs a run folder, got the file ${dir}`);
  if (!existsSync(dir)) fail(`no such checkpoint or run folder: ${dir}`);
  assertNotLocked(dir, COMMAND);

  const checkpoint = join(dir, CHECKPOINT_FILE);
  const start: RunStart = existsSync(checkpoint) ? 'resume' : 'restart';
  const checkpointStamp = start === 'resume' ? stampOf(checkpoint) : null;
  const state = start === 'resume' ? loadCheckpoint(dir) : createTrainingState(configOfUnfinishedStart(dir));
  if (given.has('epochs') && given.has('steps')) fail('--epochs and --steps both set how long to train; give one');
  state.config.kernels = kernels;
  const loaded = loadDataset(state.config.training.dataset, datasetOptionsForModel(state));
  // A resumed run must see the images it began with; a restart records them afresh.
  if (start === 'resume') checkDatasetUnchanged(state.dataset, loaded.record, state.config.training.dataset);
  else if (loaded.record !== undefined) state.dataset = loaded.record;
  const data = runData(loaded, state.config.training);
  const training = state.config.training;
  // A new length replaces the old one, in its own unit.
  if (given.has('steps')) {
    training.steps = req.steps;
    training.epochs = Math.ceil(req.steps! / numBatches(data.train.count, training.batchSize));
  } else if (given.has('epochs')) {
    delete training.steps;
    training.epochs = req.epochs;
  }
  const step = state.optimizer.step;
  const finished = training.steps !== undefined ? step >= training.steps : state.epoch >= training.epochs && state.partial === undefined;
  if (finished) {
    const trained = training.steps !== undefined ? `all ${training.steps} steps` : `all ${training.epochs} epochs`;
    if (!existsSync(join(dir, REPORT_FILE))) {
      fail(`the run in ${dir} has trained ${trained}, but its figures were not drawn; complete it with: vae report --checkpoint ${dir}`);
    }
    fail(
      training.steps !== undefined
        ? `the run in ${dir} has already trained ${step} of ${training.steps} steps; pass --steps N with N > ${step} to train further`
        : `the run in ${dir} has already trained ${state.epoch} of ${training.epochs} epochs; pass --epochs N with N > ${state.epoch} to train further`,
    );
  }
  for (const [split, set] of [['training', data.train], ['test', data.test]] as const) checkLabelsFit(COMMAND, state.model.classes, set, split);
  return { dir, start, state, data, settings: resolveSettings(state.config), ui, kernelsNotice: notice, dataNotice: null, checkpointStamp };
}

/**
 * Takes the run folder (creating and locking it) and brings it to where the run starts: a
 * new run clears what an earlier start of it left before its first checkpoint; a resume cuts
 * the metrics log back to the checkpoint. Writes config.json. `notice` hears one line per
 * thing done that the user did not ask for.
 */
export function openRun(plan: RunPlan, notice: (line: string) => void): RunFolder {
  const { dir } = plan;
  const folder = openRunFolder(dir, COMMAND, notice);
  try {
    const checkpoint = join(dir, CHECKPOINT_FILE);
    if (plan.start === 'resume') {
      if (stampOf(checkpoint) !== plan.checkpointStamp) fail(`the checkpoint in ${dir} changed while this command was starting; run it again`);
      // An epoch cut short is taken up again, and its line written anew when it ends.
      truncateMetrics(dir, plan.state.partial !== undefined ? plan.state.epoch - 1 : plan.state.epoch);
    } else {
      if (existsSync(checkpoint)) {
        fail(
          plan.start === 'new'
            ? `${dir} already holds a run; continue it with --resume ${dir}, or choose another --out`
            : `the checkpoint in ${dir} changed while this command was starting; run it again`,
        );
      }
      const partial = partialRunFiles(dir);
      if (partial.length > 0 || plan.start === 'restart') {
        clearPartialRun(dir, partial);
        notice(
          `${COMMAND}: the run in ${dir} stopped before its first checkpoint; starting it again` +
            (plan.start === 'restart' ? ` from its ${CONFIG_FILE}` : partial.length > 0 ? ` (removed its ${partial.join(', ')})` : ''),
        );
      }
    }
    folder.writeConfig(plan.state.config);
  } catch (err) {
    folder.release();
    throw err;
  }
  return folder;
}
