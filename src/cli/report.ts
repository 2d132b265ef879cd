import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { applyKernels, checkpointFlag, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { UserError } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { checkpointPath, loadCheckpoint } from '../train/checkpoint.js';
import { readMetrics } from '../train/metrics-log.js';
import { readSnapshots } from '../train/snapshots.js';
import { renderRunFigures } from '../viz/run-figures.js';
import { commandProgress } from '../train/stage-progress.js';
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
    'the latent space and its manifold, the posterior during training, the latent marginals, the decoder as a distribution, and the hidden factors.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae report', argv, flags);
    applyKernels(opts.kernels);
    const path = checkpointPath(opts.checkpoint);
    const runDir = statSync(opts.checkpoint).isDirectory() ? opts.checkpoint : dirname(path);
    const state = loadCheckpoint(path);
    const snapshots = readSnapshots(runDir);
    if (snapshots !== null && snapshots.latent !== state.model.config.latent) {
      throw new UserError(`vae report: the latent snapshots in ${runDir} have ${snapshots.latent} dimensions, the checkpoint's model ${state.model.config.latent}`);
    }
    const out = opts.out ?? runDir;
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`vae report: --out must be a folder, got the file ${out}`);
    const progress = commandProgress('vae report');
    const data = progress.run(`loading ${state.config.training.dataset}`, () => datasetForRun('vae report', state), { inPipe: false });
    ensureWritableDir(out);
    // The figures are files of the run: written by one writer at a time, like training's.
    const folder = openRunFolder(out, 'vae report', (line) => process.stderr.write(line + '\n'));
    let drawn: ReturnType<typeof renderRunFigures>;
    try {
      const inputs = {
        model: state.model,
        config: state.config,
        epoch: state.epoch,
        step: state.optimizer.step,
        test: data.test,
        history: readMetrics(runDir),
        snapshots,
        seed: opts.seed,
      };
      drawn = progress.run(`drawing the figures of ${data.test.count} test images`, () => renderRunFigures(inputs));
      progress.run(
        `writing into ${out}`,
        (stage) => drawn.files.forEach((f, i) => {
          writeFileAtomic(join(out, f.file), f.bytes);
          stage.update(i + 1);
        }),
        { total: drawn.files.length, unit: 'files' },
      );
    } finally {
      folder.release();
    }
    const { files, missing } = drawn;
    for (const m of missing) process.stderr.write(`vae report: no ${m.file}: ${m.reason}\n`);
    process.stdout.write(`wrote ${files.length} files to ${out}: ${files.map((f) => f.file).join(', ')}\nopen ${join(out, 'report.html')}\n`);
    return 0;
  },
};
