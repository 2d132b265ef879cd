import { dirname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { parseFlags } from './args.js';
import { applyKernels, kernelsFlag } from './shared-flags.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { checkpointPath, loadCheckpoint } from '../train/checkpoint.js';
import { createExplorerServer, listen, shutdown } from '../server/app.js';
import { RunSource } from '../server/run-source.js';
import { loadWebApp } from '../server/static-assets.js';
import { describeModel } from '../vae/describe.js';

export const DEFAULT_PORT = 8080;

const flags = {
  checkpoint: { kind: 'string', help: 'Checkpoint to explore (a run folder or a checkpoint file)', valueName: 'DIR' },
  run: { kind: 'string', help: 'Run folder to explore; its metrics and figures are served too', valueName: 'DIR' },
  port: { kind: 'int', min: 0, max: 65535, default: DEFAULT_PORT, help: 'Port to listen on (0: any free port)' },
  host: { kind: 'string', default: '127.0.0.1', help: 'Address to listen on (0.0.0.0 makes it reachable from other machines)', valueName: 'H' },
  // The page always decodes on the portable kernels; these encode the test set on the server.
  kernels: kernelsFlag,
} as const;

export const serveCommand: Command = {
  name: 'serve',
  summary:
    'Explore a trained VAE in the browser. Walk its latent space with the decoder running in the page; draw a digit and see where the encoder puts it.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae serve', argv, flags);
    if ((opts.checkpoint === undefined) === (opts.run === undefined)) {
      throw new UserError('vae serve: give one of --checkpoint DIR or --run DIR');
    }
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
    const server = createExplorerServer({ run, web });
    const url = await listen(server, opts.host, opts.port);
    const { model } = state.config;
    process.stdout.write(
      `vae serve: ${describeModel(model)} from ${opts.run ?? dirname(run.checkpointFile)}, epoch ${state.epoch}\n` +
        `explorer at ${url}  (Ctrl-C to stop)\n` +
        `train a new model in the browser at ${url}train\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await shutdown(server);
    return 0;
  },
};
