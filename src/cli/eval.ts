import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate } from '../train/evaluate.js';
import { importanceWeightedNll, MAX_IW_K } from '../train/iw-estimate.js';
import { latentStatistics } from '../train/latent-stats.js';
import { bitsPerDim } from '../vae/likelihood.js';
import { isContinuous, isDiscretized } from '../vae/config.js';
import { commandProgress, type Stage, type StageOptions } from '../train/stage-progress.js';

const QUIET: Stage = { update() {}, finish() {} };

const flags = {
  checkpoint: checkpointFlag,
  dataset: { kind: 'string', help: "Dataset to evaluate on (default: the run's own)", valueName: 'SPEC' },
  testSize: {
    kind: 'int',
    min: 1,
    max: 1e9,
    help: "Evaluate on the first N test images (default: as many as the run's training evaluated on; all of another --dataset)",
    valueName: 'N',
  },
  iw: { kind: 'int', min: 1, max: MAX_IW_K, help: 'Also estimate log p(x) with K importance samples per example (5000 in the literature)', valueName: 'K' },
  json: { kind: 'bool', help: 'Print one JSON object instead of a sentence' },
  kernels: kernelsFlag,
} as const;

export const evalCommand: Command = {
  name: 'eval',
  summary:
    'Evaluate a trained VAE on its test set: negative ELBO, reconstruction and KL, in nats per example; active latent units; ' +
    'with --iw K, the importance-weighted estimate of -log p(x), with progress on stderr.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae eval', argv, flags);
    applyKernels(opts.kernels);
    const state = loadCheckpoint(opts.checkpoint);
    // Only the importance-weighted estimate takes long (minutes at K = 1000 and up): with it,
    // every stage is shown; without it, eval is as quiet as it is quick.
    const stages = opts.iw === undefined ? null : commandProgress('vae eval');
    const stage = <T>(label: string, work: (s: Stage) => T, options?: StageOptions): T =>
      stages === null ? work(QUIET) : stages.run(label, work, { unit: 'images', ...options });
    const dataset = opts.dataset ?? state.config.training.dataset;
    const data = stage(`loading ${dataset}`, () => datasetForRun('vae eval', state, opts.dataset, opts.testSize), { inPipe: false });
    const { binarize } = state.config.training;
    const model = state.model;
    const test = data.test;
    const counted = { total: test.count };
    const ev = stage('negative ELBO', (s) => evaluate(model, test, { binarize, onProgress: (n) => s.update(n) }), counted);
    const latents = stage('latent statistics', () => latentStatistics(model, test, { binarize }));
    const k = opts.iw;
    const iw =
      k === undefined ? null : stage(`-log p(x), K = ${k}`, (s) => importanceWeightedNll(model, test, k, { binarize, onProgress: (n) => s.update(n) }), counted);
    // Bits per dimension mean something for a normalized likelihood: a density on dequantized
    // pixels, a Bernoulli on binary ones, or the discretized logistic on the 8-bit values; for
    // a Bernoulli on grey pixels they do not.
    const dequantized = binarize === 'none' && isContinuous(model.config.likelihood);
    const normalized = dequantized || binarize === 'dynamic' || isDiscretized(model.config.likelihood);
    const dims = model.config.inputDim;
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({
          test_nelbo: ev.nelbo,
          test_recon: ev.recon,
          test_kl: ev.kl,
          ...(normalized ? { bits_per_dim: bitsPerDim(ev.nelbo, dims, dequantized) } : {}),
          ...(iw !== null
            ? { iw_nll: iw.nll, iw_k: iw.k, ...(normalized ? { iw_bits_per_dim: bitsPerDim(iw.nll, dims, dequantized) } : {}) }
            : {}),
          active_units: latents.activeUnits,
          kl_per_dim: latents.klPerDim,
          examples: ev.count,
          epoch: state.epoch,
        }) + '\n',
      );
    } else {
      const lines = [
        `test NELBO ${ev.nelbo.toFixed(2)} nats per example (reconstruction ${ev.recon.toFixed(2)} + KL ${ev.kl.toFixed(2)})` +
          (normalized ? `, ${bitsPerDim(ev.nelbo, dims, dequantized).toFixed(3)} bits/dim` : '') +
          ` over ${ev.count} ${data.name} test images, after ${state.epoch} epochs`,
      ];
      if (iw !== null) {
        lines.push(
          `test -log p(x) <= ${iw.nll.toFixed(2)} nats per example (importance-weighted, K = ${iw.k})` +
            (normalized ? `, ${bitsPerDim(iw.nll, dims, dequantized).toFixed(3)} bits/dim` : ''),
        );
      }
      lines.push(`active latent units: ${latents.activeUnits} of ${model.config.latent}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  },
};
