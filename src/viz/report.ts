/**
 * report.html: one self-contained page (every image embedded as a data: URI, no scripts, no
 * external requests) with each figure, one sentence on what it shows, the run's settings and
 * its final numbers. It can be mailed, archived or opened offline.
 */
import type { RunConfig } from '../train/config.js';
import type { EpochMetrics } from '../train/trainer.js';
import { describeLr } from '../train/lr-schedule.js';
import { archOf, classesOf, type VaeConfig } from '../vae/config.js';
import { describeObjective, gaussianTraits } from '../vae/describe.js';

export interface ReportFigure {
  file: string;
  title: string;
  caption: string;
  bytes: Uint8Array;
}

export interface ReportInput {
  config: RunConfig;
  /** Epochs the checkpoint has completed. */
  epoch: number;
  /** The metrics line of that epoch, if the log has it. */
  final: EpochMetrics | undefined;
  figures: ReportFigure[];
  /** Figures that could not be drawn, with the reason. */
  missing: Array<{ file: string; reason: string }>;
  /** The "hidden factors" section (src/viz/factors-report.ts), placed after the figures; absent: none. */
  factorsHtml?: string;
}

const MIME: Record<string, string> = { png: 'image/png', gif: 'image/gif' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function dataUri(file: string, bytes: Uint8Array): string {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  const mime = MIME[ext];
  if (mime === undefined) throw new RangeError(`report: no image type for ${file}`);
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

function describeNetworks(c: VaeConfig): string {
  const classes = classesOf(c);
  const kind = archOf(c) === 'conv' ? 'conv VAE (32, 64 channels, then dense)' : 'MLP VAE';
  return classes > 0 ? `conditional ${kind} over ${classes} classes,` : kind;
}

function describeDecoder(c: VaeConfig): string {
  if (c.likelihood === 'bernoulli') return 'Bernoulli decoder';
  return `Gaussian decoder (${gaussianTraits(c, `\u03c3 = ${c.sigma}`).join(', ')})`;
}

function row(key: string, value: string): string {
  return `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`;
}

/** One figure with its title and caption, the image embedded. */
export function figureHtml(fig: ReportFigure): string {
  return `<figure id="${escapeHtml(fig.file)}">
<h2>${escapeHtml(fig.title)}</h2>
<img src="${dataUri(fig.file, fig.bytes)}" alt="${escapeHtml(fig.title)}">
<figcaption>${escapeHtml(fig.caption)} <span class="file">(${escapeHtml(fig.file)})</span></figcaption>
</figure>`;
}

export function reportHtml(input: ReportInput): string {
  const { model, training } = input.config;
  const arch = [model.inputDim, ...model.hidden, model.latent].join('\u2013');
  const settings = [
    row('dataset', `${training.dataset}${training.trainSize !== undefined ? `, first ${training.trainSize} training images` : ''}${training.testSize !== undefined ? `, first ${training.testSize} test images` : ''}`),
    row('model', `${describeNetworks(model)} ${arch}, ${describeDecoder(model)}, latent ${model.latent}`),
    row('objective', describeObjective(training)),
    row('training', `${input.epoch} of ${training.epochs} epochs, batch ${training.batchSize}, Adam lr ${describeLr(training)}, seed ${training.seed}, binarize ${training.binarize}`),
    row('kernels', input.config.kernels),
  ].join('\n');
  const f = input.final;
  const n = (v: number): string => `${v.toFixed(2)} nats`;
  const metrics =
    f === undefined
      ? '<p>The run folder has no metrics line for this epoch.</p>'
      : `<table class="metrics">
<tr><th></th><th>negative ELBO</th><th>reconstruction</th><th>KL</th></tr>
<tr><th>train (mean over epoch ${f.epoch})</th><td>${n(f.train_nelbo)}</td><td>${n(f.train_recon)}</td><td>${n(f.train_kl)}</td></tr>
<tr><th>test (after epoch ${f.epoch})</th><td>${n(f.test_nelbo)}</td><td>${n(f.test_recon)}</td><td>${n(f.test_kl)}</td></tr>
</table>`;
  const figures = input.figures.map(figureHtml).join('\n');
  const missing =
    input.missing.length === 0
      ? ''
      : `<section><h2>Not drawn</h2><ul>${input.missing.map((m) => `<li>${escapeHtml(m.file)}: ${escapeHtml(m.reason)}</li>`).join('')}</ul></section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>VAE report: ${escapeHtml(training.dataset)}, latent ${model.latent}, epoch ${input.epoch}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1300px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { text-align: left; padding: 0.25em 0.9em 0.25em 0; vertical-align: top; }
table.metrics td { font-variant-numeric: tabular-nums; text-align: right; }
table.factors td.num { font-variant-numeric: tabular-nums; text-align: right; }
figure { margin: 2.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { max-width: 70em; }
.file { color: #777; font-size: 0.9em; }
</style>
</head>
<body>
<h1>What the VAE learned</h1>
<p>A variational autoencoder trained on ${escapeHtml(training.dataset)}: the encoder q(z|x) maps each image to a Gaussian over the latent code z, the decoder p(x|z) maps a code to a distribution over every pixel, and training maximizes the ELBO, a reconstruction term minus KL(q(z|x) \u2016 N(0, I)).</p>
<h2>Settings</h2>
<table>
${settings}
</table>
<h2>Final numbers</h2>
${metrics}
${figures}
${input.factorsHtml ?? ''}
${missing}
</body>
</html>
`;
}
