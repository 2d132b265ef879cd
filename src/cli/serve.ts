import { dirname, join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { parseFlags } from './args.js';
import { allowHostFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { checkpointPath, loadCheckpoint } from '../train/checkpoint.js';
import { createExplorerServer, listen, shutdown } from '../server/app.js';
import { parseAllowHosts, RequestGuard } from '../server/guard.js';
import { RunSource } from '../server/run-source.js';
import { untilInterrupted } from '../server/interrupted.js';
import { loadWebApp } from '../server/static-assets.js';
import { describeModel } from '../vae/describe.js';
import { commandProgress } from '../train/stage-progress.js';
import { FACTORS_FILE } from '../viz/factors-report.js';

export const DEFAULT_PORT = 8080;

const flags = {
  checkpoint: { kind: 'string', help: 'Checkpoint to explore (a run folder or a checkpoint file)', valueName: 'DIR' },
  run: { kind: 'string', help: 'Run folder to explore; its metrics and figures are served too', valueName: 'DIR' },
  port: { kind: 'int', min: 0, max: 65535, default: DEFAULT_PORT, help: 'Port to listen on (0: any free port)' },
  host: {
    kind: 'string',
    default: '127.0.0.1',
    help: 'Address to listen on (0.0.0.0 makes it reachable from other machines, with a token in the address)',
    valueName: 'H',
  },
  allowHost: allowHostFlag,
  // The page always decodes on the portable kernels; these encode the test set on the server.
  kernels: kernelsFlag,
} as const;

export const serveCommand: Command = {
  name: 'serve',
  summary:
    'Explore a trained VAE in the browser. Walk its latent space with the decoder running in the page; draw or give an image and see where the encoder puts it.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae serve', argv, flags);
    if ((opts.checkpoint === undefined) === (opts.run === undefined)) {
      throw new UserError('vae serve: give one of --checkpoint DIR or --run DIR');
    }
    const guard = new RequestGuard({ allowHosts: parseAllowHosts(opts.allowHost) });
    applyKernels(opts.kernels);
    let run: RunSource;
    if (opts.run !== undefined) {
      if (!existsSync(opts.run) || !statSync(opts.run).isDirectory()) throw new UserError(`vae serve: --run needs a run folder, got ${opts.run}`);
      run = new RunSource(checkpointPath(opts.run), opts.run);
    } else {
      run = new RunSource(checkpointPath(opts.checkpoint!), null);
    }
    // Checked now, so a bad checkpoint is a one-line error here rather than a broken page later.
    const state = loadCheckpoint(run.checkpointFile);
    const web = loadWebApp();
    const server = createExplorerServer({ run, web, guard });
    await listen(server, opts.host, opts.port);
    // The page's first look is at the test set's codes: made now, with progress, so the page
    // finds them ready. Without them (the run's data are not on this machine, or do not fit
    // the model) the decoder can still be explored: said in one line, and the page goes on.
    run.progress = commandProgress('vae serve');
    await run.encodings(run.model()!).catch((err: unknown) => {
      if (!(err instanceof UserError)) throw err;
      process.stderr.write(`vae serve: the page will have no scatter of the test set: ${err.message}\n`);
    });
    const { model } = state.config;
    const [url, ...others] = guard.urls('/');
    process.stdout.write(
      `vae serve: ${describeModel(model)} from ${opts.run ?? dirname(run.checkpointFile)}, epoch ${state.epoch}\n` +
        `explorer at ${url}  (Ctrl-C to stop)\n` +
        others.map((u) => `         or ${u}\n`).join('') +
        `train a new model in the browser at ${guard.urls('/train')[0]}\n`,
    );
    const warning = guard.warning();
    if (warning !== null) process.stderr.write(`vae serve: ${warning}\n`);
    // --checkpoint serves the model alone; a run folder given so has figures and factor names the page would show.
    const folder = opts.checkpoint !== undefined && statSync(opts.checkpoint).isDirectory() ? opts.checkpoint : null;
    if (folder !== null && existsSync(join(folder, FACTORS_FILE))) {
      process.stderr.write(`vae serve: serving the model only; --run ${folder} also gives the page the run's factor names and figures\n`);
    }
    await untilInterrupted();
    await shutdown(server);
    return 0;
  },
};
