/**
 * The live feed of `vae train --ui`, end to end over HTTP: a page connected during training
 * receives the run, progress, every epoch's metrics, latent snapshots and reconstructions,
 * and the end; and watching a run does not change it (same weights as an unwatched run).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { loadDataset } from '../src/data/source.js';
import { defaultRunConfig, runData, type RunConfig } from '../src/train/config.js';
import { CHECKPOINT_FILE, createTrainingState, saveCheckpoint } from '../src/train/checkpoint.js';
import { train } from '../src/train/trainer.js';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { TrainingFeed } from '../src/server/training-feed.js';
import { openEventStream } from './support/sse.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-feed-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(): RunConfig {
  const c = defaultRunConfig();
  c.model.hidden = [24];
  c.model.latent = 2;
  c.training.epochs = 2;
  c.training.batchSize = 64;
  c.training.trainSize = 640;
  c.training.testSize = 400;
  return c;
}

test('a watching page gets the whole run as events, and watching changes nothing', async () => {
  const data = runData(loadDataset('mnist'), config().training);

  const unwatched = createTrainingState(config());
  await train(unwatched, data);

  const state = createTrainingState(config());
  const feed = new TrainingFeed(state, data, dir);
  const server: Server = createExplorerServer({
    run: new RunSource(join(dir, CHECKPOINT_FILE), dir),
    web: loadWebApp(),
    live: { hub: feed.hub, stop: () => false },
  });
  const base = await listen(server, '127.0.0.1', 0);
  const stream = await openEventStream<Record<string, unknown>>(new URL('/api/events', base));
  const events = stream.events;
  for (let i = 0; i < 100 && feed.hub.clientCount === 0; i++) await new Promise((r) => setTimeout(r, 10));

  const history = await train(state, data, {
    onStep: (s) => feed.step(s),
    onEpoch: (m, st) => {
      saveCheckpoint(dir, st);
      feed.epoch(m);
    },
  });
  feed.end('done', 'done');
  await shutdown(server, feed.hub);
  await stream.ended;

  // Snapshots read the model without drawing random numbers: the watched run is the same run.
  const a = unwatched.model.parameters();
  state.model.parameters().forEach(([name, t], i) => assert.deepEqual(t.data, a[i]![1].data, name));

  const types = events.map((e) => e.type);
  assert.equal(types[0], 'run');
  assert.equal(types[types.length - 1], 'end');
  const run = events[0]!.data;
  assert.deepEqual(run.digitLabels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal((run.digits as number[]).length, 10 * 784);
  assert.equal((run.pointLabels as number[]).length, 400);

  const epochs = events.filter((e) => e.type === 'epoch').map((e) => e.data);
  assert.deepEqual(epochs, JSON.parse(JSON.stringify(history)));

  const progress = events.filter((e) => e.type === 'progress').map((e) => e.data);
  assert.ok(progress.length >= 2, 'at least the last step of each epoch');
  const last = progress[progress.length - 1]!;
  assert.equal(last.epoch, 2);
  assert.equal(last.batch, 10);
  assert.equal(last.etaSeconds, 0);

  // Every step's loss, in order, across the loss messages.
  const steps = events.filter((e) => e.type === 'losses').flatMap((e) => e.data.points as [number, number][]);
  assert.deepEqual(steps.map((p) => p[0]), Array.from({ length: 20 }, (_, i) => i + 1));

  const snapshots = events.filter((e) => e.type === 'snapshot').map((e) => e.data);
  // The welcome (untrained model) and one after each epoch at least.
  assert.ok(snapshots.length >= 3, `${snapshots.length} snapshots`);
  for (const s of snapshots) {
    assert.equal((s.xy as number[]).length, 800);
    assert.equal((s.recon as number[]).length, 7840);
  }
  // The latent distribution moves as the encoder learns.
  assert.notDeepEqual(snapshots[0]!.xy, snapshots[snapshots.length - 1]!.xy);
  assert.deepEqual(events[events.length - 1]!.data.status, 'done');
  assert.equal(events[events.length - 1]!.data.checkpointEpoch, 2);
});
