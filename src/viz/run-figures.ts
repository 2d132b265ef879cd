/**
 * Every figure of a trained run, drawn from its model, its test set, its metrics log and its
 * latent snapshots: what `vae train` writes when it finishes and `vae report` redraws. All
 * randomness comes from `seed`, so the same checkpoint and seed give the same bytes.
 */
import { join } from 'node:path';
import { Random } from '../engine/random.js';
import { Tensor } from '../engine/tensor.js';
import { valuesPerImage, subset, type ImageDataset } from '../data/dataset.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeSubset } from '../train/snapshots.js';
import type { VAE } from '../vae/model.js';
import { isContinuous } from '../vae/config.js';
import { reconstructionFigure } from './figures.js';
import { imageGrid, type RasterImage } from './grid.js';
import { displayScale, modelImageShape } from './image-shape.js';
import { className, pluralNoun, type FigureWords } from './words.js';
import { clampUnit, decodeDisplayMean } from '../vae/decoded-pixels.js';
import { encodePng } from './png.js';
import { latentPlane, type LatentPlane } from './latent-plane.js';
import { latentManifoldFigure, latentScatterFigure, MANIFOLD_SIZE } from './latent-figures.js';
import { evolutionGif, evolutionStripFigure } from './evolution.js';
import { latentMarginalsFigure } from './marginals.js';
import { lossCurvesFigure } from './loss-curves.js';
import { decoderDensityFigure, type DensityRow } from './decoder-density.js';
import { decoderDistribution } from './decoder-distribution.js';
import { reportHtml, type ReportFigure } from './report.js';
import type { FigureInputs } from '../run/figures.js';
import { dataDescriptionOf, type RunConfig } from '../train/config.js';
import { analyzeFactors, type MeasureSet } from '../train/factors.js';
import { measuresFor } from '../measure/index.js';
import { FACTORS_FILE, renderFactorFiles, type FactorImageShape } from './factors-report.js';

/** What the figures are drawn from: declared by the run layer, which hands them over when training ends. */
export type RunFigureInputs = FigureInputs;

export interface RunFigures {
  /** Figures in report order (the hidden factors' last), then report.html, then factors.json. */
  files: Array<{ file: string; bytes: Uint8Array }>;
  /** Figures that could not be drawn from what the run folder holds. */
  missing: Array<{ file: string; reason: string }>;
}

/** Every file name, in the order the report shows them. */
export const FIGURE_FILES = [
  'loss_curves.png',
  'reconstructions.png',
  'samples.png',
  'latent_scatter.png',
  'latent_manifold.png',
  'latent_evolution.png',
  'latent_evolution.gif',
  'latent_marginals.png',
  'decoder_density.png',
  'report.html',
] as const;

const SAMPLES = 64;
const RECONSTRUCTIONS = 16;
const DENSITY_POINTS = 4;
const ENCODE_BATCH = 1000;

/** Posterior means of a whole dataset, in batches to keep memory flat. */
export function posteriorMeans(model: VAE, data: ImageDataset): Float32Array {
  const L = model.config.latent;
  const dim = valuesPerImage(data);
  const out = new Float32Array(data.count * L);
  for (let start = 0; start < data.count; start += ENCODE_BATCH) {
    const n = Math.min(ENCODE_BATCH, data.count - start);
    const part: ImageDataset = { ...data, pixels: data.pixels.subarray(start * dim, (start + n) * dim), labels: data.labels.subarray(start, start + n), count: n };
    out.set(encodeSubset(model, part).mu, start * L);
  }
  return out;
}

/** Rows of conditional samples: one per class, up to this many. */
const SAMPLE_CLASSES = 16;
const SAMPLES_PER_CLASS = 8;

/**
 * samples.png of a conditional model: each column one z ~ N(0, I), each row one class y, so
 * a column is one style written as every class. Other models: an 8 x 8 grid of z ~ N(0, I).
 */
function samplesImage(model: VAE, rng: Random): RasterImage {
  const { latent } = model.config;
  const shape = modelImageShape(model.config);
  const { channels, height: h, width: w } = shape;
  const scale = displayScale(shape);
  if (model.classes === 0) return imageGrid(model.sample(SAMPLES, rng), SAMPLES, h, w, { scale, channels });
  const rows = Math.min(model.classes, SAMPLE_CLASSES);
  const styles = rng.fillNormal(new Float32Array(SAMPLES_PER_CLASS * latent));
  const z = new Float32Array(rows * SAMPLES_PER_CLASS * latent);
  const labels = new Uint16Array(rows * SAMPLES_PER_CLASS);
  for (let r = 0; r < rows; r++) {
    z.set(styles, r * styles.length);
    labels.fill(r, r * SAMPLES_PER_CLASS, (r + 1) * SAMPLES_PER_CLASS);
  }
  const images = decodeDisplayMean(model, new Tensor(z, [labels.length, latent]), labels);
  return imageGrid(images, labels.length, h, w, { cols: SAMPLES_PER_CLASS, scale, channels });
}

/** The class a conditional model's manifold is drawn for: the first test image's, so the data surely has it. */
function manifoldClass(model: VAE, test: ImageDataset): number | undefined {
  return model.classes > 0 && test.count > 0 ? test.labels[0]! : undefined;
}

function densityRows(test: ImageDataset, mu: Float32Array, plane: LatentPlane, latent: number, conditional: boolean, words: FigureWords): DensityRow[] {
  const rows: DensityRow[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < test.count && rows.length < DENSITY_POINTS; i++) {
    const label = test.labels[i]!;
    if (seen.has(label)) continue;
    seen.add(label);
    const z = mu.slice(i * latent, (i + 1) * latent);
    const where = plane.kind === 'latent' && latent === 2 ? ` = (${z[0]!.toFixed(2)}, ${z[1]!.toFixed(2)})`.replace(/-/g, '\u2212') : '';
    // "of a test 7" for digits; other images lead with their class name, when they have one.
    const name = className(words, label);
    const which = words.noun === 'digit' ? `of a test ${name}` : words.classNames.length > 0 ? 'of a test image' : `of test image ${i + 1}`;
    const lead = words.noun !== 'digit' && words.classNames.length > 0 ? `${name}: ` : '';
    // A conditional model decodes each code as the class its image was encoded with.
    if (conditional) rows.push({ z, label: `${lead}\u03bc(x, y) ${which}${where}, y = ${name}`, y: label });
    else rows.push({ z, label: `${lead}\u03bc(x) ${which}${where}` });
  }
  return rows;
}

/** Title and caption of each figure, in the data's words ("test digits", "test images"). */
function aboutFigures(w: FigureWords): Record<(typeof FIGURE_FILES)[number], { title: string; caption: string }> {
  const items = pluralNoun(w);
  return {
    'loss_curves.png': {
      title: 'Training curves',
      caption: 'The negative ELBO and its two terms per epoch on the training data (mean over each epoch) and the test data (after each epoch): reconstruction falls as the decoder learns, and KL measures how much the codes say about each image.',
    },
    'reconstructions.png': {
      title: 'Reconstructions',
      caption: `The first ${RECONSTRUCTIONS} test ${items} (odd rows) above their reconstructions (even rows), decoded from the posterior means: what survives the trip through the latent bottleneck.`,
    },
    'samples.png': {
      title: 'Samples from the prior',
      caption: `${SAMPLES} new ${items}: z drawn from the prior N(0, I), each decoded to its mean image E[x|z].`,
    },
    'latent_scatter.png': {
      title: 'The latent space',
      caption: `Each test ${w.noun} placed at its posterior mean and colored by its label: ${items} of one class gather in regions of the latent space, learned without ever seeing a label.`,
    },
    'latent_manifold.png': {
      title: 'The decoder over the latent plane',
      caption: `Decoded means on a ${MANIFOLD_SIZE} \u00d7 ${MANIFOLD_SIZE} grid at Gaussian quantiles of the plane: neighbouring points decode to similar ${items}, and one ${w.noun} morphs smoothly into the next.`,
    },
    'latent_evolution.png': {
      title: 'The posterior during training',
      caption: `A fixed set of test ${items} encoded at points of training, on the same axes with the prior\u2019s 1\u03c3 and 2\u03c3 circles: from one blob at the origin before training to separated clusters held near N(0, I) by the KL term.`,
    },
    'latent_evolution.gif': {
      title: 'The posterior during training, animated',
      caption: 'Every snapshot of the run in order, one frame each (a long run keeps at most 40, spread evenly over it).',
    },
    'latent_marginals.png': {
      title: 'Latent marginals against the prior',
      caption: `Histograms of z drawn from q(z|x) over the snapshot ${items} for each latent dimension at the start, middle and end of training, over the N(0, 1) density the KL term pulls them toward.`,
    },
    'decoder_density.png': {
      title: 'The decoder as a distribution',
      caption: '',
    },
    'report.html': { title: 'This report', caption: '' },
  };
}

/** Captions that differ for a conditional model, which is told every image's class y. */
function conditionalCaptions(w: FigureWords): Record<string, (classes: number, manifoldY: number) => string> {
  const items = pluralNoun(w);
  return {
    'reconstructions.png': () =>
      `The first ${RECONSTRUCTIONS} test ${items} (odd rows) above their reconstructions (even rows), decoded from the posterior means with each ${w.noun}'s own label y.`,
    'samples.png': (classes) =>
      `Each column one z drawn from the prior N(0, I), each row one class y${classes > SAMPLE_CLASSES ? ` (the first ${SAMPLE_CLASSES} of ${classes})` : ''}, decoded to E[x|z, y]: the label sets the class, z the style. ` +
      // The grid has no room for words, so the caption names its rows.
      `Rows from the top: ${Array.from({ length: Math.min(classes, SAMPLE_CLASSES) }, (_, y) => className(w, y)).join(', ')}.`,
    'latent_scatter.png': () =>
      `Each test ${w.noun} placed at its posterior mean \u03bc(x, y) and colored by its label. The encoder and decoder are told the label, so the code need not carry the class: the classes overlap, and the plane holds style instead.`,
    'latent_manifold.png': (_classes, y) =>
      `Decoded means E[x|z, y = ${className(w, y)}] on a ${MANIFOLD_SIZE} \u00d7 ${MANIFOLD_SIZE} grid at Gaussian quantiles of the plane, all for the class y = ${className(w, y)} (the first test ${w.noun}'s): one class ${w.noun === 'digit' ? 'written' : 'drawn'} in every style the plane holds.`,
  };
}

export function renderRunFigures(inputs: RunFigureInputs): RunFigures {
  const { model, test, seed } = inputs;
  const { latent } = model.config;
  const shape = modelImageShape(model.config);
  // The test set's own description: a run from before names were kept gets them from its data.
  const words = test.description;
  const files: Array<{ file: string; bytes: Uint8Array }> = [];
  const missing: Array<{ file: string; reason: string }> = [];
  const history = inputs.history.filter((m) => m.epoch <= inputs.epoch);

  if (history.length > 0) files.push({ file: 'loss_curves.png', bytes: lossCurvesFigure(history) });
  else missing.push({ file: 'loss_curves.png', reason: 'the run folder has no metrics.jsonl lines' });

  const conditional = model.classes > 0;
  const shown = subset(test, RECONSTRUCTIONS);
  const reconstruct = (x: Tensor): Float32Array => clampUnit(model.reconstruct(x, conditional ? shown.labels : undefined));
  const recon = reconstructionFigure(reconstruct, shown.pixels, shown.count, shape, displayScale(shape));
  files.push({ file: 'reconstructions.png', bytes: encodePng(recon) });
  files.push({ file: 'samples.png', bytes: encodePng(samplesImage(model, new Random(seed))) });

  const mu = posteriorMeans(model, test);
  const plane = latentPlane(mu, test.count, latent);
  files.push({ file: 'latent_scatter.png', bytes: latentScatterFigure(plane, mu, test.labels, test.count, conditional, words) });
  const manifoldY = manifoldClass(model, test);
  files.push({ file: 'latent_manifold.png', bytes: latentManifoldFigure(model, plane, displayScale(shape), manifoldY, words) });

  const snapshots = inputs.snapshots === null ? null : { ...inputs.snapshots, snapshots: inputs.snapshots.snapshots.filter((s) => s.step <= inputs.step) };
  if (snapshots !== null && snapshots.latent !== latent) throw new RangeError(`the latent snapshots have ${snapshots.latent} dimensions, the model ${latent}`);
  if (snapshots !== null && snapshots.snapshots.length > 0) {
    files.push({ file: 'latent_evolution.png', bytes: evolutionStripFigure(plane, snapshots, words) });
    files.push({ file: 'latent_evolution.gif', bytes: evolutionGif(plane, snapshots, words) });
    files.push({ file: 'latent_marginals.png', bytes: latentMarginalsFigure(snapshots, (seed + 1) >>> 0, words) });
  } else {
    const reason = 'the run folder has no latent snapshots (they are recorded by vae train while it trains)';
    for (const file of ['latent_evolution.png', 'latent_evolution.gif', 'latent_marginals.png']) missing.push({ file, reason });
  }

  const dist = decoderDistribution(model);
  files.push({ file: 'decoder_density.png', bytes: decoderDensityFigure(dist, densityRows(test, mu, plane, latent, conditional, words), shape, new Random((seed + 2) >>> 0), displayScale(shape, 84)) });

  const ABOUT = aboutFigures(words);
  const CONDITIONAL_CAPTIONS = conditionalCaptions(words);
  const about = (file: string): { title: string; caption: string } => {
    const a = ABOUT[file as (typeof FIGURE_FILES)[number]];
    if (file === 'decoder_density.png') {
      const decodedAs = conditional ? ' (each decoded as its own class y)' : '';
      return { title: a.title, caption: `For the posterior means of a few test ${pluralNoun(words)}${decodedAs}: the decoded mean, the per-pixel spread (${dist.spreadMeaning}${shape.channels === 3 ? '; for a colour pixel, the mean over its three channels' : ''}), and images drawn pixel by pixel from p(x|z), so one latent point gives many variations of the same ${words.noun}.` };
    }
    const caption = conditional ? (CONDITIONAL_CAPTIONS[file]?.(model.classes, manifoldY ?? 0) ?? a.caption) : a.caption;
    // A Gaussian decoder's draws are its means plus independent noise per pixel: the means are the picture, the draws are shown apart.
    if (file === 'samples.png' && isContinuous(model.config.likelihood)) {
      return { title: a.title, caption: `${caption} Each pixel of a draw from the Gaussian decoder adds its own noise to these means; such draws are in \u201cThe decoder as a distribution\u201d.` };
    }
    return { title: a.title, caption };
  };
  const figures: ReportFigure[] = files.map((f) => ({ ...f, ...about(f.file) }));
  const final = history.find((m) => m.epoch === inputs.epoch);
  const { measures, shape: factorShape } = factorMeasuresFor(inputs.config);
  const factors = renderFactorFiles(analyzeFactors(model, test, measures), factorShape);
  files.push(...factors.figures.map(({ file, bytes }) => ({ file, bytes })));
  const html = reportHtml({ config: inputs.config, epoch: inputs.epoch, final, figures, missing, words, factorsHtml: factors.html });
  files.push({ file: 'report.html', bytes: new TextEncoder().encode(html) });
  files.push({ file: FACTORS_FILE, bytes: new TextEncoder().encode(factors.json) });
  return { files, missing };
}

/**
 * The measures that suit a run's images, and what the factor figures need to know of those
 * images, from the run's config: its model's image shape and what its data are called.
 */
export function factorMeasuresFor(config: RunConfig): { measures: MeasureSet; shape: FactorImageShape } {
  const { imageHeight: height, imageWidth: width, inputDim } = config.model;
  const channels = inputDim / (height * width);
  const { noun } = dataDescriptionOf(config);
  return { measures: measuresFor({ channels, description: { noun } }), shape: { channels, height, width, noun } };
}

/** Draws every figure and writes each file into `dir` atomically. */
export function writeRunFigures(dir: string, inputs: RunFigureInputs): RunFigures {
  const figures = renderRunFigures(inputs);
  for (const f of figures.files) writeFileAtomic(join(dir, f.file), f.bytes);
  return figures;
}
