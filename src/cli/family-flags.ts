/**
 * The flags of `vae train` that choose a member of the VAE family: likelihood, architecture,
 * objective, conditioning, and the size of folder images. Kept apart from train.ts so the
 * flags that make a run (data, epochs, output) and the ones that make a model read apart.
 */
import type { ParsedFlags } from './args.js';
import { UserError } from '../errors.js';
import type { DataSplits } from '../data/dataset.js';
import type { TrainingConfig } from '../train/config.js';
import { ARCHITECTURES, DEFAULT_SIGMA, LIKELIHOODS, isContinuous, type VaeConfig } from '../vae/config.js';
import { MAX_TRAIN_K, OBJECTIVES } from '../vae/objectives.js';
import type { VAE } from '../vae/model.js';


export const familyFlags = {
  likelihood: {
    kind: 'enum',
    choices: LIKELIHOODS,
    default: 'bernoulli',
    help: "Decoder's pixel distribution: bernoulli (logits), gaussian (mean and log-variance per pixel, dequantized data), gaussian-fixed (mean, fixed --sigma)",
  },
  sigma: { kind: 'number', min: 0, exclusiveMin: true, max: 100, help: `Standard deviation of the gaussian-fixed decoder, pixels in [0, 1] (default ${DEFAULT_SIGMA})`, valueName: 'S' },
  arch: { kind: 'enum', choices: ARCHITECTURES, default: 'mlp', help: 'mlp: dense layers; conv: two stride-2 3x3 convolutions (32, 64 channels) then dense, mirrored by transposed convolutions' },
  objective: { kind: 'enum', choices: OBJECTIVES, default: 'elbo', help: 'elbo, or iwae: the importance-weighted bound with --k samples' },
  k: { kind: 'int', min: 1, max: MAX_TRAIN_K, help: 'Importance samples per example for --objective iwae (default 5)', valueName: 'K' },
  beta: { kind: 'number', min: 0, max: 1000, help: 'Weight of the KL term (beta-VAE; default 1, the ELBO)', valueName: 'B' },
  klWarmup: { kind: 'int', min: 0, max: 1e9, help: 'Ramp the KL weight linearly from 0 to beta over the first N steps', valueName: 'N' },
  conditional: { kind: 'bool', help: 'Conditional VAE: encoder and decoder also see the one-hot class label' },
  imageSize: { kind: 'int', min: 4, max: 256, help: 'Side that folder: images are resized to (default 28)', valueName: 'N' },
} as const;

export const FAMILY_FLAG_NAMES = Object.keys(familyFlags) as (keyof typeof familyFlags)[];

type FamilyFlags = ParsedFlags<typeof familyFlags>;

/** Combinations that make no sense, refused before anything is loaded or written. */
export function checkFamilyFlags(opts: FamilyFlags & { binarize: string; dataset: string }): void {
  const fail = (m: string): never => {
    throw new UserError(`vae train: ${m}`);
  };
  if (opts.sigma !== undefined && opts.likelihood !== 'gaussian-fixed') fail('--sigma sets the fixed standard deviation of --likelihood gaussian-fixed');
  if (opts.k !== undefined && opts.objective !== 'iwae') fail('--k sets the importance samples of --objective iwae');
  if (opts.objective === 'iwae' && (opts.beta !== undefined || opts.klWarmup !== undefined)) fail('--beta and --kl-warmup weight the ELBO; --objective iwae takes neither');
  if (opts.likelihood !== 'bernoulli' && opts.binarize === 'dynamic') {
    fail(`--likelihood ${opts.likelihood} is a density over grey pixels; it cannot be fitted to binarized ones (drop --binarize dynamic)`);
  }
  if (opts.imageSize !== undefined && !opts.dataset.startsWith('folder:')) fail('--image-size applies to folder: datasets; other datasets keep their size');
}

export function familyModelConfig(opts: FamilyFlags, data: DataSplits): Pick<VaeConfig, 'likelihood' | 'sigma' | 'gaussianMean' | 'arch' | 'classes'> {
  let classes = 0;
  if (opts.conditional) {
    for (const split of [data.train, data.test]) for (const l of split.labels) classes = Math.max(classes, l + 1);
    if (classes < 2) throw new UserError(`vae train: --conditional needs labelled data with at least two classes; ${data.name} has ${classes}`);
  }
  return {
    likelihood: opts.likelihood,
    ...(opts.likelihood === 'gaussian-fixed' ? { sigma: opts.sigma ?? DEFAULT_SIGMA } : {}),
    // New Gaussian decoders keep their means inside (0, 1), like the pixels (see GaussianMean).
    ...(isContinuous(opts.likelihood) ? { gaussianMean: 'sigmoid' as const } : {}),
    ...(opts.arch !== 'mlp' ? { arch: opts.arch } : {}),
    ...(classes > 0 ? { classes } : {}),
  };
}

export function familyObjectiveConfig(opts: FamilyFlags): Pick<TrainingConfig, 'objective' | 'k' | 'beta' | 'klWarmup'> {
  if (opts.objective === 'iwae') return { objective: 'iwae', k: opts.k ?? 5 };
  return {
    ...(opts.beta !== undefined ? { beta: opts.beta } : {}),
    ...(opts.klWarmup !== undefined ? { klWarmup: opts.klWarmup } : {}),
  };
}

/** Labels for pictures of a conditional model's samples: the classes in turn. */
export function sampleLabels(model: VAE, count: number): Uint16Array | undefined {
  if (model.classes === 0) return undefined;
  return Uint16Array.from({ length: count }, (_, i) => i % model.classes);
}
