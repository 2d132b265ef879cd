import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { evaluate } from '../train/evaluate.js';

const flags = {
  checkpoint: checkpointFlag,
  dataset: { kind: 'string', help: "Dataset to evaluate on (default: the run's own)", valueName: 'SPEC' },
  json: { kind: 'bool', help: 'Print one JSON object instead of a sentence' },
  kernels: kernelsFlag,
} as const;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained VAE on its test set: negative ELBO, reconstruction and KL, in nats per example.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae eval', argv, flags);
    applyKernels(opts.kernels);
    const state = loadCheckpoint(opts.checkpoint);
    const data = datasetForRun('vae eval', state, opts.dataset);
    const ev = evaluate(state.model, data.test, { binarize: state.config.training.binarize });
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ test_nelbo: ev.nelbo, test_recon: ev.recon, test_kl: ev.kl, examples: ev.count, epoch: state.epoch }) + '\n',
      );
    } else {
      process.stdout.write(
        `test NELBO ${ev.nelbo.toFixed(2)} nats per example (reconstruction ${ev.recon.toFixed(2)} + KL ${ev.kl.toFixed(2)}) ` +
          `over ${ev.count} ${data.name} test images, after ${state.epoch} epochs\n`,
      );
    }
    return 0;
  },
};
