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
import { disentanglementWork, groundTruthFor, modelDisentanglement } from '../train/disentanglement.js';
import { plural } from '../run/train-run.js';

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
  disentanglement: {
    kind: 'bool',
    help:
      'Also score how well single latent dimensions capture the known factors of dsprites: MIG, the FactorVAE score and SAP, ' +
      "as disentanglement_lib computes them with its defaults (about a million images rendered and encoded: minutes)",
  },
  json: { kind: 'bool', help: 'Print one JSON object instead of a sentence' },
  kernels: kernelsFlag,
} as const;

export const evalCommand: Command = {
  name: 'eval',
  summary:
    'Evaluate a trained VAE on its test set: negative ELBO, reconstruction and KL, in nats per example; active latent units; ' +
    'with --iw K, the importance-weighted estimate of -log p(x); with --disentanglement, MIG, FactorVAE score and SAP ' +
    'on a dsprites model; progress of the long stages on stderr.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae eval', argv, flags);
    applyKernels(opts.kernels);
    const state = loadCheckpoint(opts.checkpoint);
    // Only the importance-weighted estimate takes long (minutes at K = 1000 and up): with it,
    // every stage is shown; without it, eval is as quiet as it is quick.
    const stages = opts.iw === undefined && !opts.disentanglement ? null : commandProgress('vae eval');
    const stage = <T>(label: string, work: (s: Stage) => T, options?: StageOptions): T =>
      stages === null ? work(QUIET) : stages.run(label, work, { unit: 'images', ...options });
    const dataset = opts.dataset ?? state.config.training.dataset;
    // Refused before anything long runs.
    const groundTruth = opts.disentanglement ? groundTruthFor('vae eval', dataset, state.model) : null;
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
    const work = disentanglementWork();
    const scores =
      groundTruth === null
        ? null
        : stage('disentanglement scores', (s) => modelDisentanglement(model, groundTruth, { onProgress: (n) => s.update(n) }), { total: work });
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
          ...(scores !== null
            ? {
                disentanglement: {
                  mig: scores.mig.score,
                  mig_per_factor: Object.fromEntries(groundTruth!.factorNames.map((n, k) => [n, scores.mig.perFactor[k]])),
                  factor_vae_score: scores.factorVae.score,
                  factor_vae_train_accuracy: scores.factorVae.trainAccuracy,
                  factor_vae_active_dims: scores.factorVae.activeDims,
                  sap: scores.sap.score,
                  seed: scores.seed,
                  settings: scores.settings,
                },
              }
            : {}),
          kl_per_dim: latents.klPerDim,
          examples: ev.count,
          epoch: state.epoch,
        }) + '\n',
      );
    } else {
      const lines = [
        `test NELBO ${ev.nelbo.toFixed(2)} nats per example (reconstruction ${ev.recon.toFixed(2)} + KL ${ev.kl.toFixed(2)})` +
          (normalized ? `, ${bitsPerDim(ev.nelbo, dims, dequantized).toFixed(3)} bits/dim` : '') +
          ` over ${ev.count} ${data.name} test ${ev.count === 1 ? 'image' : 'images'}, after ${plural(state.epoch, 'epoch')}`,
      ];
      if (iw !== null) {
        lines.push(
          `test -log p(x) <= ${iw.nll.toFixed(2)} nats per example (importance-weighted, K = ${iw.k})` +
            (normalized ? `, ${bitsPerDim(iw.nll, dims, dequantized).toFixed(3)} bits/dim` : ''),
        );
      }
      lines.push(`active latent units: ${latents.activeUnits} of ${model.config.latent}`);
      if (scores !== null) {
        const perFactor = groundTruth!.factorNames.map((n, k) => `${n} ${scores.mig.perFactor[k]!.toFixed(3)}`).join(', ');
        lines.push(
          `disentanglement (disentanglement_lib's settings, seed ${scores.seed}): MIG ${scores.mig.score.toFixed(3)} (${perFactor}), ` +
            `FactorVAE score ${scores.factorVae.score.toFixed(3)} (${scores.factorVae.activeDims} dimensions kept), SAP ${scores.sap.score.toFixed(3)}`,
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  },
};
