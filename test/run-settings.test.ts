/**
 * A run's settings, resolved once: which flags were given, every default filled in, the saved
 * config keeping its old shape, the fixed-on-resume settings read from the table, and a
 * resume that equals an uninterrupted run bit for bit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlagsGiven } from '../src/cli/args.js';
import { UserError } from '../src/errors.js';
import { planNewRun, planResume, resolveSettings } from '../src/run/plan.js';
import { FIXED_ON_RESUME, TRAIN_SETTINGS } from '../src/run/settings.js';
import { CHECKPOINT_FILE } from '../src/train/checkpoint.js';
import { defaultRunConfig } from '../src/train/config.js';
import { readMetrics } from '../src/train/metrics-log.js';
import { SNAPSHOTS_FILE } from '../src/train/snapshots.js';
import { TINY_RUN, runVae } from './support/train-cli.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-run-settings-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const parse = (argv: string[]) => parseFlagsGiven('vae train', argv, TRAIN_SETTINGS);

test('the parser says which flags were given, a default given on purpose included', () => {
  const { values, given } = parse(['--seed', '1', '--epochs=3', '--ui']);
  assert.deepEqual([...given].sort(), ['epochs', 'seed', 'ui']);
  assert.equal(values.seed, 1);
  assert.equal(values.batchSize, 128);
  assert.equal(given.has('batchSize'), false);
});

test('the settings fixed on resume come from the table', () => {
  assert.deepEqual(
    [...FIXED_ON_RESUME],
    ['dataset', 'latent', 'hidden', 'batchSize', 'lr', 'lrSchedule', 'lrMin', 'seed', 'binarize', 'trainSize', 'testSize', 'out',
      'likelihood', 'sigma', 'arch', 'convChannels', 'objective', 'k', 'beta', 'klWarmup', 'conditional', 'imageSize', 'channels', 'fit', 'testFraction', 'augment', 'skipBadImages'],
  );
  for (const name of ['epochs', 'resume', 'kernels', 'ui', 'port', 'host', 'allowHost'] as const) assert.equal(TRAIN_SETTINGS[name].fixedOnResume, false);
});

test('a saved config resolves to every setting filled in with what its absence means', () => {
  const s = resolveSettings(defaultRunConfig());
  assert.equal(s.training.objective, 'elbo');
  assert.equal(s.training.k, 1);
  assert.equal(s.training.beta, 1);
  assert.equal(s.training.klWarmup, 0);
  assert.equal(s.training.lrSchedule, 'constant');
  assert.equal(s.training.lrMin, 1e-5);
  assert.equal(s.model.arch, 'mlp');
  assert.equal(s.model.gaussianMean, 'unbounded');
  assert.equal(s.model.classes, 0);
  assert.equal(s.model.sigma, undefined);
});

test('a new run fills its defaults once and saves them in the old shape', () => {
  const plain = parse([...TINY_RUN, '--out', join(root, 'never-made')]);
  const p = planNewRun(plain.values, plain.given);
  // The saved form leaves out what is at its "absent" meaning, so a default run's bytes do not change.
  assert.deepEqual(Object.keys(p.state.config), ['model', 'training', 'kernels', 'data']);
  assert.deepEqual(Object.keys(p.state.config.model), ['inputDim', 'imageHeight', 'imageWidth', 'hidden', 'latent', 'likelihood']);
  assert.deepEqual(Object.keys(p.state.config.training), ['dataset', 'epochs', 'batchSize', 'lr', 'seed', 'binarize', 'trainSize', 'testSize']);
  assert.match(p.state.config.kernels, /^(native|js)/, 'the kernels are chosen during resolution, not patched in after');
  assert.equal(p.settings.training.k, 1);
  assert.equal(p.ui, null);

  // A new iwae run without --k takes 5 samples; the resolved and saved forms agree.
  const other = parse([...TINY_RUN, '--objective', 'iwae', '--likelihood', 'gaussian-fixed', '--ui', '--port', '0', '--out', join(root, 'never-made')]);
  const g = planNewRun(other.values, other.given);
  assert.equal(g.state.config.training.k, 5);
  assert.equal(g.settings.training.k, 5);
  assert.equal(g.state.config.model.sigma, 0.1);
  assert.equal(g.settings.model.gaussianMean, 'sigmoid');
  assert.deepEqual(g.ui, { host: '127.0.0.1', port: 0 });
});

test('a resume refuses a fixed setting in one line, and continues bit for bit like an uninterrupted run', { timeout: 180_000 }, async () => {
  const args = ['--train-size', '500', '--test-size', '100', '--hidden', '32', '--latent', '2', '--seed', '9'];
  const whole = await runVae(['train', ...args, '--epochs', '2', '--out', 'whole'], root);
  assert.equal(whole.status, 0, whole.stderr);
  const half = await runVae(['train', ...args, '--epochs', '1', '--out', 'halves'], root);
  assert.equal(half.status, 0, half.stderr);

  for (const [flag, value] of [['--seed', '9'], ['--k', '3'], ['--arch', 'mlp'], ['--out', 'halves']] as const) {
    const r = parse(['--resume', join(root, 'halves'), flag, value]);
    assert.throws(() => planResume(r.values, r.given), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.message, `vae train: ${flag} cannot be changed when resuming; a resumed run keeps its settings`);
      return true;
    });
  }

  const rest = await runVae(['train', '--resume', 'halves', '--epochs', '2'], root);
  assert.equal(rest.status, 0, rest.stderr);
  const bytes = (d: string, f: string): Buffer => readFileSync(join(root, d, f));
  assert.ok(bytes('halves', CHECKPOINT_FILE).equals(bytes('whole', CHECKPOINT_FILE)), 'checkpoints are bit-identical');
  assert.ok(bytes('halves', SNAPSHOTS_FILE).equals(bytes('whole', SNAPSHOTS_FILE)), 'latent snapshots are bit-identical');
  assert.ok(bytes('halves', 'config.json').equals(bytes('whole', 'config.json')));
  const strip = (d: string): string[] => readMetrics(join(root, d)).map(({ seconds: _s, samples_per_sec: _r, ...m }) => JSON.stringify(m));
  assert.deepEqual(strip('halves'), strip('whole'));
});
