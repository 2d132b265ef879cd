/**
 * `vae train --ui`: the explorer's server, started beside training, with a live dashboard
 * at /live fed by the trainer's callbacks, and a stop button that takes the same path as
 * Ctrl-C (training stops between two steps; the last epoch's checkpoint stays).
 */
import { join } from 'node:path';
import type { DataSplits } from '../data/dataset.js';
import { CHECKPOINT_FILE, type TrainingState } from '../train/checkpoint.js';
import type { EpochMetrics, StepInfo } from '../train/trainer.js';
import { createExplorerServer, listen, shutdown } from './app.js';
import { RequestGuard } from './guard.js';
import { RunSource } from './run-source.js';
import { loadWebApp } from './static-assets.js';
import { TrainingFeed, type Outcome } from './training-feed.js';
import { untilInterrupted } from './interrupted.js';

export interface TrainingUiOptions {
  state: TrainingState;
  data: DataSplits;
  dir: string;
  host: string;
  port: number;
  /** Further names the server answers to (`--allow-host`). */
  allowHosts?: readonly string[];
  /** Asks training to stop after its current step. */
  stop(): void;
  /** True once a stop was asked for (by the page, or by Ctrl-C). */
  stopping(): boolean;
}

export interface TrainingUi {
  /** The live dashboard's address (with the token when beyond loopback). */
  url: string;
  /** Every address it can be reached at, and the warning to print when that is beyond loopback. */
  urls: string[];
  warning: string | null;
  step(info: StepInfo): void;
  epoch(metrics: EpochMetrics): void;
  /** Tells the pages how training ended. */
  end(outcome: Outcome, message: string): void;
  /**
   * Keeps the server up after training, so the page can say how it ended and its explorer
   * shows the final model, until Ctrl-C (or SIGTERM); then closes it.
   */
  serveUntilInterrupted(): Promise<void>;
  /** Ends the event streams and stops the server. */
  close(): Promise<void>;
}

export async function startTrainingUi(options: TrainingUiOptions): Promise<TrainingUi> {
  const web = loadWebApp();
  const feed = new TrainingFeed(options.state, options.data, options.dir);
  const run = new RunSource(join(options.dir, CHECKPOINT_FILE), options.dir);
  const guard = new RequestGuard({ allowHosts: options.allowHosts });
  const server = createExplorerServer({
    run,
    web,
    guard,
    live: {
      hub: feed.hub,
      stop: () => {
        if (feed.hasEnded || options.stopping()) return false;
        options.stop();
        return true;
      },
    },
  });
  // Training keeps the process alive, not the server: whatever way a run ends, the process
  // can exit, even on a path that never reached close().
  server.on('connection', (socket) => socket.unref());
  await listen(server, options.host, options.port);
  server.unref();
  const urls = guard.urls('/live');
  const close = async (): Promise<void> => {
    if (!feed.hasEnded) feed.end('failed', 'training ended with an error; see the terminal');
    await shutdown(server, feed.hub);
  };
  return {
    url: urls[0]!,
    urls,
    warning: guard.warning(),
    step: (info) => feed.step(info),
    epoch: (metrics) => feed.epoch(metrics),
    end: (outcome, message) => feed.end(outcome, message),
    serveUntilInterrupted: async () => {
      // From here the server alone keeps the process alive.
      server.ref();
      await untilInterrupted();
      await close();
    },
    close,
  };
}
