import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { applyKernels, checkpointFlag, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { UserError } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { checkpointPath, loadCheckpoint } from '../train/checkpoint.js';
import { ACTIVE_KL_NATS, analyzeFactors } from '../train/factors.js';
import { commandProgress } from '../train/stage-progress.js';
import { openRunFolder } from '../run/folder.js';
import { FACTORS_FILE, TRAVERSALS_FILE, factorsTableText, renderFactorFiles } from '../viz/factors-report.js';
import { factorMeasuresFor } from '../viz/run-figures.js';

const flags = {
  checkpoint: checkpointFlag,
  testSize: {
    kind: 'int',
    min: 3,
    max: 1e9,
    help: "Look at the first N test images (default: the run's test set)",
    valueName: 'N',
  },
  out: { kind: 'string', help: 'Folder for factors.json and latent_traversals.png (default: the run folder)', valueName: 'DIR' },
  json: { kind: 'bool', help: 'Print factors.json instead of the table' },
  kernels: kernelsFlag,
} as const;

export const factorsCommand: Command = {
  name: 'factors',
  summary:
    'Name the hidden factors of a trained VAE: for each latent dimension its KL, whether it is active, and the measure of the images it tracks best ' +
    '(slant, thickness, width or another, by partial correlation on the encoded test set), checked along the decoded traversal. ' +
    'Writes factors.json and latent_traversals.png.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae factors', argv, flags);
    applyKernels(opts.kernels);
    const path = checkpointPath(opts.checkpoint);
    const runDir = statSync(opts.checkpoint).isDirectory() ? opts.checkpoint : dirname(path);
    const out = opts.out ?? runDir;
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`vae factors: --out must be a folder, got the file ${out}`);
    const state = loadCheckpoint(path);
    const progress = commandProgress('vae factors');
    const data = progress.run(`loading ${state.config.training.dataset}`, () => datasetForRun('vae factors', state, undefined, opts.testSize), { inPipe: false });
    const test = data.test;
    if (test.count < 3) throw new UserError(`vae factors: the test set has ${test.count} images; correlations need at least 3`);
    const { measures, shape } = factorMeasuresFor(state.config);
    const analysis = progress.run(`measuring and encoding ${test.count} test images`, (stage) => analyzeFactors(state.model, test, measures, { onProgress: (n) => stage.update(n) }), {
      total: test.count,
      unit: 'images',
    });
    const files = renderFactorFiles(analysis, shape);
    ensureWritableDir(out);
    // Files of the run: written by one writer at a time, as training and vae report write theirs.
    const folder = openRunFolder(out, 'vae factors', (line) => process.stderr.write(line + '\n'));
    try {
      writeFileAtomic(join(out, FACTORS_FILE), files.json);
      writeFileAtomic(join(out, TRAVERSALS_FILE), files.figures[0]!.bytes);
    } finally {
      folder.release();
    }
    if (opts.json) {
      process.stdout.write(files.json);
    } else {
      const active = analysis.file.dimensions.filter((d) => d.active).length;
      process.stdout.write(
        `hidden factors of ${runDir}: ${active} of ${analysis.file.dimensions.length} latent dimensions active (KL > ${ACTIVE_KL_NATS} nats), ` +
          `over ${test.count} ${data.name} test images\n` +
          factorsTableText(analysis.file) +
          `wrote ${join(out, FACTORS_FILE)} and ${join(out, TRAVERSALS_FILE)}\n`,
      );
    }
    return 0;
  },
};
