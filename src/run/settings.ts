/**
 * The settings of a training run, declared once: each with its range, its default, its help
 * line, and whether a resumed run may change it. The command line reads its flags from this
 * table (the entries are flag specs); a resume refuses the settings marked `fixedOnResume`,
 * because the checkpoint already holds them and a different value would not continue the
 * same run.
 */
import { describeDatasetSpecs } from '../data/source.js';
import { DEFAULT_TEST_FRACTION, IMAGE_FITS, OWN_SIZE_LIMITS } from '../data/folder.js';
import { AUGMENT_CHOICES } from '../data/augment.js';
import { KERNEL_CHOICES } from '../kernels/select.js';
import { DEFAULT_TRAINING_CONFIG } from '../train/config.js';
import { LR_SCHEDULES } from '../train/lr-schedule.js';
import { ARCHITECTURES, CONV_CHANNELS, DEFAULT_SIGMA, DEFAULT_VAE_CONFIG, LIKELIHOODS } from '../vae/config.js';
import { MAX_TRAIN_K, OBJECTIVES } from '../vae/objectives.js';

const d = DEFAULT_TRAINING_CONFIG;

/** Importance samples of a new run with --objective iwae and no --k (a saved config without k means 1). */
export const DEFAULT_IWAE_K = 5;
/**
 * A folder with fewer training images than this trains DEFAULT_SMALL_STEPS optimizer steps
 * when neither --epochs nor --steps is given: the 10 default epochs are then only tens of
 * steps, far too few for recognizable samples (README, "Small collections").
 */
export const SMALL_COLLECTION = 2000;
export const DEFAULT_SMALL_STEPS = 1000;
/**
 * A new run of a folder without --test-fraction holds out at least this many images (up to a
 * quarter of the folder) when 10% would be fewer: `vae factors` cannot name factors from 6
 * test images (README, "Small collections"), and a held-out NELBO of a handful says little.
 */
export const SMALL_FOLDER_TEST_IMAGES = 16;

/** Where `vae train --ui` listens unless --host says otherwise. */
export const DEFAULT_UI_HOST = '127.0.0.1';

export const TRAIN_SETTINGS = {
  dataset: { kind: 'string', default: d.dataset, help: `Training data: ${describeDatasetSpecs}`, valueName: 'SPEC', fixedOnResume: true },
  latent: { kind: 'int', min: 1, max: 4096, default: DEFAULT_VAE_CONFIG.latent, help: 'Latent dimensions (2 gives a plane to explore)', fixedOnResume: true },
  hidden: { kind: 'intList', min: 1, max: 65536, default: DEFAULT_VAE_CONFIG.hidden, help: 'Hidden layer widths, e.g. 512,256', valueName: 'H[,H...]', fixedOnResume: true },
  epochs: {
    kind: 'int',
    min: 1,
    max: 100000,
    default: d.epochs,
    help: `Epochs to train (with --resume: the total to reach); a folder of fewer than ${SMALL_COLLECTION} training images trains ${DEFAULT_SMALL_STEPS} steps unless --epochs or --steps is given`,
    fixedOnResume: false,
  },
  steps: {
    kind: 'int',
    min: 1,
    max: 1e9,
    help: 'Optimizer steps to train, instead of --epochs; the last epoch may stop short (with --resume: the total to reach)',
    valueName: 'N',
    fixedOnResume: false,
  },
  batchSize: { kind: 'int', min: 1, max: 1000000, default: d.batchSize, help: 'Examples per optimizer step', fixedOnResume: true },
  lr: { kind: 'number', min: 0, exclusiveMin: true, max: 10, default: d.lr, help: 'Adam learning rate (the starting rate under a schedule)', fixedOnResume: true },
  lrSchedule: {
    kind: 'enum',
    choices: LR_SCHEDULES,
    default: 'constant',
    help: 'constant, or cosine: anneal the rate from --lr to --lr-min over all the steps of --epochs',
    fixedOnResume: true,
  },
  lrMin: { kind: 'number', min: 0, max: 10, help: 'Final rate of --lr-schedule cosine (default lr/100)', valueName: 'LR', fixedOnResume: true },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: d.seed, help: 'Seed for initialization, shuffling, sampling', fixedOnResume: true },
  binarize: { kind: 'enum', choices: ['none', 'dynamic'], default: d.binarize, help: 'none: grey pixels; dynamic: Bernoulli(pixel) drawn afresh each epoch', fixedOnResume: true },
  trainSize: { kind: 'int', min: 1, max: 1e9, help: 'Use only the first N training images (quick experiments)', valueName: 'N', fixedOnResume: true },
  testSize: { kind: 'int', min: 1, max: 1e9, help: 'Evaluate on only the first N test images', valueName: 'N', fixedOnResume: true },
  out: { kind: 'string', help: 'Run folder (default: runs/<timestamp>)', valueName: 'DIR', fixedOnResume: true },
  resume: { kind: 'string', help: 'Continue the run in DIR from its last checkpoint', valueName: 'DIR', fixedOnResume: false },
  kernels: {
    kind: 'enum',
    choices: KERNEL_CHOICES,
    default: 'auto',
    help: 'Compute kernels: native (the C++ addon), wasm (WebAssembly SIMD), js (portable), or auto (native, else wasm, else js)',
    fixedOnResume: false,
  },
  ui: {
    kind: 'bool',
    help: 'Follow training in the browser (live dashboard at http://127.0.0.1:PORT/live, with a stop button); it keeps serving the final model until Ctrl-C',
    fixedOnResume: false,
  },
  port: { kind: 'int', min: 0, max: 65535, default: 8080, help: 'Port of the --ui server (0: any free port)', fixedOnResume: false },
  host: { kind: 'string', help: `Address the --ui server listens on (default ${DEFAULT_UI_HOST})`, valueName: 'HOST', fixedOnResume: false },
  allowHost: {
    kind: 'string',
    help: 'Further host names the --ui server answers to, comma-separated (NAME or NAME:PORT), e.g. for a proxy in front',
    valueName: 'NAMES',
    fixedOnResume: false,
  },
  likelihood: {
    kind: 'enum',
    choices: LIKELIHOODS,
    default: 'bernoulli',
    help:
      "Decoder's pixel distribution: bernoulli (logits), gaussian (mean and log-variance per pixel, dequantized data), gaussian-fixed (mean, fixed --sigma), " +
      'logistic (discretized logistic of the 8-bit values, mean and log-scale per value; reports bits/dim)',
    fixedOnResume: true,
  },
  sigma: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 100,
    help: `Standard deviation of the gaussian-fixed decoder, pixels in [0, 1] (default ${DEFAULT_SIGMA})`,
    valueName: 'S',
    fixedOnResume: true,
  },
  arch: {
    kind: 'enum',
    choices: ARCHITECTURES,
    default: 'mlp',
    help: 'mlp: dense layers; conv: stride-2 3x3 convolutions (--conv-channels) then dense, mirrored by transposed convolutions',
    fixedOnResume: true,
  },
  convChannels: {
    kind: 'intList',
    min: 1,
    max: 4096,
    help: `Channels of each stride-2 stage of --arch conv, e.g. 32,64,128,256 for 64x64 images; sides must be multiples of 2^stages (default ${CONV_CHANNELS.join(',')})`,
    valueName: 'C[,C...]',
    fixedOnResume: true,
  },
  objective: { kind: 'enum', choices: OBJECTIVES, default: 'elbo', help: 'elbo; iwae: the importance-weighted bound with --k samples; btcvae: the beta-TC-VAE, --beta weighting the total correlation', fixedOnResume: true },
  k: { kind: 'int', min: 1, max: MAX_TRAIN_K, help: `Importance samples per example for --objective iwae (default ${DEFAULT_IWAE_K})`, valueName: 'K', fixedOnResume: true },
  beta: { kind: 'number', min: 0, max: 1000, help: 'Weight of the KL term (beta-VAE), or of the total correlation with --objective btcvae (default 1, the ELBO)', valueName: 'B', fixedOnResume: true },
  klWarmup: { kind: 'int', min: 0, max: 1e9, help: 'Ramp the KL weight linearly from 0 to beta over the first N steps', valueName: 'N', fixedOnResume: true },
  conditional: { kind: 'bool', help: 'Conditional VAE: encoder and decoder also see the one-hot class label', fixedOnResume: true },
  imageSize: {
    kind: 'string',
    help:
      'Size folder: and emoji images are brought to: N for N x N, or HxW, e.g. 64x48 (height x width; 4 to 512). Default: emoji 64; a folder its ' +
      `pictures' own size when they all share one of at most ${OWN_SIZE_LIMITS.maxPixels.toLocaleString('en-US')} pixels (128x128, 64x256 or 32x128, a collected word), ` +
      `sides ${OWN_SIZE_LIMITS.minSide} to ${OWN_SIZE_LIMITS.maxSide}, else 28`,
    valueName: 'N|HxW',
    fixedOnResume: true,
  },
  channels: {
    kind: 'enum',
    choices: ['1', '3'],
    help: 'Channels of folder: and emoji images: 1 grey, 3 colour (default: colour when any image has colour)',
    fixedOnResume: true,
  },
  fit: {
    kind: 'enum',
    choices: IMAGE_FITS,
    help: 'How folder: images of another shape than --image-size are fitted: crop (default: the centred part of that shape), pad (the whole image, framed by the background) or stretch',
    fixedOnResume: true,
  },
  testFraction: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 0.9,
    help: `Share of a folder: or emoji dataset held out for testing (default ${DEFAULT_TEST_FRACTION}; a new run of a small folder holds out at least 16 images, up to a quarter)`,
    valueName: 'F',
    fixedOnResume: true,
  },
  augment: {
    kind: 'enum',
    choices: AUGMENT_CHOICES,
    bare: 'auto',
    help:
      'Augment the training images of a folder: or emoji dataset as they are served. shift: by up to 1/16 of their side, colour ones also mirrored; ' +
      'handwriting: small rotations, shears, sizes, shifts and pen widths; auto (--augment alone): handwriting for grey images, shift for colour; ' +
      `none. Default: handwriting for a folder of fewer than ${SMALL_COLLECTION} grey training images, else none`,
    fixedOnResume: true,
  },
  skipBadImages: {
    kind: 'bool',
    help: 'Skip and count the images of a folder: dataset that cannot be read, instead of stopping at the first',
    fixedOnResume: true,
  },
} as const;

type Table = typeof TRAIN_SETTINGS;
export type SettingName = keyof Table;

type ValueOf<S> = S extends { kind: 'int' | 'number' }
  ? number
  : S extends { kind: 'string' }
    ? string
    : S extends { kind: 'enum'; choices: readonly (infer C)[] }
      ? C
      : S extends { kind: 'intList' }
        ? number[]
        : boolean;

/** What a user asked for: each setting's value (its default when not given; undefined when it has none). */
export type TrainRequest = {
  -readonly [K in SettingName]: Table[K] extends { kind: 'bool' }
    ? boolean
    : Table[K] extends { default: unknown }
      ? ValueOf<Table[K]>
      : ValueOf<Table[K]> | undefined;
};

/** The settings a resumed run takes from its checkpoint; derived from the table, never listed by hand. */
export const FIXED_ON_RESUME: readonly SettingName[] = (Object.keys(TRAIN_SETTINGS) as SettingName[]).filter(
  (name) => TRAIN_SETTINGS[name].fixedOnResume,
);

/** `batchSize` -> `--batch-size`, for messages that name a setting as the user typed it. */
export function flagName(name: string): string {
  return '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
