import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { applyKernels, checkpointFlag, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { UserError } from '../errors.js';
import { ensureWritableDir } from '../io/atomic.js';
import { checkpointPath, loadCheckpoint } from '../train/checkpoint.js';
import { readMetrics } from '../train/metrics-log.js';
import { readSnapshots } from '../train/snapshots.js';
import { writeRunFigures } from '../viz/run-figures.js';
import { openRunFolder } from '../run/folder.js';

const flags = {
  checkpoint: checkpointFlag,
  out: { kind: 'string', help: 'Folder for the figures and report.html (default: the run folder)', valueName: 'DIR' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 0, help: 'Seed for the samples and the decoder draws (0 matches what vae train wrote)' },
  kernels: kernelsFlag,
} as const;

export const reportCommand: Command = {
  name: 'report',
  summary:
    'Draw every figure of a trained run and one self-contained report.html: loss curves, reconstructions, samples, ' +
    'the latent space and its manifold, the posterior during training, the latent marginals, and the decoder as a distribution.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae report', argv, flags);
    applyKernels(opts.kernels);
    const path = checkpointPath(opts.checkpoint);
    const runDir = statSync(opts.checkpoint).isDirectory() ? opts.checkpoint : dirname(path);
    const state = loadCheckpoint(path);
    const data = datasetForRun('vae report', state);
    const snapshots = readSnapshots(runDir);
    if (snapshots !== null && snapshots.latent !== state.model.config.latent) {
      throw new UserError(`vae report: the latent snapshots in ${runDir} have ${snapshots.latent} dimensions, the checkpoint's model ${state.model.config.latent}`);
    }
    const out = opts.out ?? runDir;
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`vae report: --out must be a folder, got the file ${out}`);
    ensureWritableDir(out);
    // The figures are files of the run: written by one writer at a time, like training's.
    const folder = openRunFolder(out, 'vae report', (line) => process.stderr.write(line + '\n'));
    let drawn: ReturnType<typeof writeRunFigures>;
    try {
      drawn = writeRunFigures(out, {
        model: state.model,
        config: state.config,
        epoch: state.epoch,
        step: state.optimizer.step,
        test: data.test,
        history: readMetrics(runDir),
        snapshots,
        seed: opts.seed,
      });
    } finally {
      folder.release();
    }
    const { files, missing } = drawn;
    for (const m of missing) process.stderr.write(`vae report: no ${m.file}: ${m.reason}\n`);
    process.stdout.write(`wrote ${files.length} files to ${out}: ${files.map((f) => f.file).join(', ')}\nopen ${join(out, 'report.html')}\n`);
    return 0;
  },
};
