/**
 * Every model kind crosses to PyTorch and back: `vae export` files load into
 * python/vae_torch.py's modules with strict names and give our outputs there; a conv model
 * trained one epoch by python/train_ddp.py under `torchrun --nproc_per_node=2` (gloo) comes
 * back through `vae import`, and both sides' test numbers for those weights agree.
 * Skipped, with the reason, where /usr/bin/python3 cannot import torch.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Random,
  Tensor,
  VAE,
  createTrainingState,
  datasetFloats,
  decodeSafetensors,
  defaultRunConfig,
  encodeContainer,
  encodeSafetensors,
  loadCheckpoint,
  loadDataset,
  saveCheckpoint,
  toTorchExport,
  fromTorchExport,
  TORCH_META,
  type VaeConfig,
} from '../src/index.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { freePort } from './support/free-port.js';

const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';
const VAE_TORCH = fileURLToPath(new URL('../../python/vae_torch.py', import.meta.url));
const TRAIN_DDP = fileURLToPath(new URL('../../python/train_ddp.py', import.meta.url));
/** dist/test/ -> the repository root. */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const root = tempRoot('torch-ddp');
after(() => rmSync(root, { recursive: true, force: true }));

const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const NO_TORCH = probe.status === 0 ? null : `${PYTHON} cannot import torch (install Debian python3-torch to run these tests)`;

function python(args: string[], timeout = 300_000): string {
  const r = spawnSync(PYTHON, args, { cwd: root, encoding: 'utf8', timeout });
  assert.equal(r.status, 0, `python3 ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** The model kinds an export must carry: each layout, likelihood, and the conditional input. */
const KINDS: { name: string; config: VaeConfig }[] = [
  { name: 'classic MLP', config: { inputDim: 64, imageHeight: 8, imageWidth: 8, hidden: [16], latent: 3, likelihood: 'bernoulli' } },
  {
    name: 'deep conditional MLP, learned-variance Gaussian',
    config: { inputDim: 48, imageHeight: 6, imageWidth: 8, hidden: [20, 12], latent: 2, likelihood: 'gaussian', gaussianMean: 'sigmoid', classes: 3 },
  },
  { name: 'MLP, fixed-variance Gaussian', config: { inputDim: 36, imageHeight: 6, imageWidth: 6, hidden: [10], latent: 2, likelihood: 'gaussian-fixed', sigma: 0.2, gaussianMean: 'sigmoid' } },
  { name: 'conv, Bernoulli', config: { inputDim: 96, imageHeight: 8, imageWidth: 12, hidden: [16], latent: 2, likelihood: 'bernoulli', arch: 'conv' } },
  {
    name: 'conditional conv, learned-variance Gaussian',
    config: { inputDim: 64, imageHeight: 8, imageWidth: 8, hidden: [12], latent: 3, likelihood: 'gaussian', gaussianMean: 'sigmoid', arch: 'conv', classes: 4 },
  },
  { name: 'conv, fixed-variance Gaussian', config: { inputDim: 64, imageHeight: 8, imageWidth: 8, hidden: [12], latent: 2, likelihood: 'gaussian-fixed', sigma: 0.1, arch: 'conv' } },
  { name: 'colour MLP, logistic', config: { inputDim: 3 * 36, channels: 3, imageHeight: 6, imageWidth: 6, hidden: [14], latent: 2, likelihood: 'logistic' } },
  { name: 'colour MLP in the classic layout', config: { inputDim: 3 * 16, channels: 3, imageHeight: 4, imageWidth: 4, hidden: [10], latent: 2, likelihood: 'bernoulli' } },
  {
    name: 'colour conv, three stages, logistic',
    config: { inputDim: 3 * 16 * 8, channels: 3, imageHeight: 16, imageWidth: 8, hidden: [10], latent: 3, likelihood: 'logistic', arch: 'conv', convChannels: [4, 6, 8] },
  },
  {
    name: 'conditional colour conv, one stage, learned-variance Gaussian',
    config: { inputDim: 3 * 36, channels: 3, imageHeight: 6, imageWidth: 6, hidden: [8, 6], latent: 2, likelihood: 'gaussian', gaussianMean: 'sigmoid', arch: 'conv', convChannels: [5], classes: 2 },
  },
];

describe('PyTorch export of every model kind', { skip: NO_TORCH ?? false }, () => {
  test('vae_torch.py loads each export strictly and computes our encoder, decoder and NELBO', () => {
    const n = 5;
    const args: string[] = [];
    const expected: { name: string; model: VAE; x: Tensor; z: Tensor; labels?: number[]; out: string }[] = [];
    KINDS.forEach(({ name, config }, i) => {
      const rng = new Random(40 + i);
      const model = new VAE(config, rng);
      // Biases off zero and weights off their initial scale, so a swapped or transposed tensor shows.
      for (const [, t] of model.parameters()) for (let j = 0; j < t.size; j++) t.data[j] = t.data[j]! * 1.5 + 0.02 * (rng.uniform() - 0.5);
      const x = new Tensor(rng.fillUniform(new Float32Array(n * config.inputDim)), [n, config.inputDim]);
      const z = new Tensor(rng.fillNormal(new Float32Array(n * config.latent)), [n, config.latent]);
      const labels = config.classes ? Array.from({ length: n }, (_, k) => k % config.classes!) : undefined;
      const { tensors, fields } = toTorchExport(model);
      const file = (kind: string): string => join(root, `kind${i}-${kind}.safetensors`);
      writeFileSync(file('export'), encodeContainer({ noun: 'state dict', format: 'pt' }, tensors, fields));
      const input: Record<string, { shape: number[]; data: Float32Array }> = { x: { shape: [...x.shape], data: x.data }, z: { shape: [...z.shape], data: z.data } };
      if (labels) input.labels = { shape: [n], data: Float32Array.from(labels) };
      writeFileSync(file('input'), encodeSafetensors(input));
      args.push(file('export'), file('input'), file('output'));
      expected.push({ name, model, x, z, ...(labels ? { labels } : {}), out: file('output') });
    });
    python([VAE_TORCH, 'forward', ...args]);
    for (const { name, model, x, z, labels, out } of expected) {
      const got = decodeSafetensors(readFileSync(out)).tensors;
      const posterior = model.encode(x, labels);
      const decoded = model.decodeDistribution(z, labels);
      assert.ok(worstDifference(posterior.mu.data, got.mu!.data) < 1e-4, `${name}: mu`);
      assert.ok(worstDifference(posterior.logvar.data, got.logvar!.data) < 1e-4, `${name}: logvar`);
      assert.ok(worstDifference(decoded.mean.data, got.first!.data) < 1e-4, `${name}: decoder mean (or logits), largest difference ${worstDifference(decoded.mean.data, got.first!.data)}`);
      const second = decoded.logScale ?? decoded.logvar;
      if (second === null) assert.equal(got.second, undefined, `${name}: torch has a second decoder parameter`);
      else assert.ok(worstDifference(second.data, got.second!.data) < 1e-4, `${name}: decoder log-variance or log-scale`);
      // The NELBO at the posterior mean: the same loss on both sides.
      const atMean = model.negLogLikelihood(model.decodeDistribution(posterior.mu, labels), x);
      for (let k = 0; k < x.shape[0]!; k++) {
        let klk = 0;
        for (let j = 0; j < model.config.latent; j++) {
          const m = posterior.mu.data[k * model.config.latent + j]!;
          const lv = posterior.logvar.data[k * model.config.latent + j]!;
          klk += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
        }
        const ours = atMean.data[k]! + klk;
        const theirs = got.nelbo_at_mean!.data[k]!;
        assert.ok(Math.abs(ours - theirs) < 1e-3 * Math.max(1, Math.abs(ours)), `${name}: NELBO at the posterior mean, ours ${ours}, torch ${theirs}`);
      }
    }
  });

  test('class names and the model config travel in the metadata, and a python-written file reads back', () => {
    const config = KINDS[4]!.config;
    const model = new VAE(config, new Random(7));
    const names = ['red', 'blue', 'green', 'a "quoted" name'];
    const { tensors, fields } = toTorchExport(model, { classNames: names, binarize: 'none' });
    assert.equal(fields[TORCH_META.layout], 'modules');
    assert.deepEqual(JSON.parse(fields[TORCH_META.model]!), model.config);
    writeFileSync(join(root, 'named.safetensors'), encodeContainer({ noun: 'state dict', format: 'pt' }, tensors, fields));
    // Python loads it and writes it again with save_export, as train_ddp.py does.
    python([
      '-c',
      `import sys; sys.path.insert(0, ${JSON.stringify(join(VAE_TORCH, '..'))}); import vae_torch\n` +
        `m, info = vae_torch.load_export('named.safetensors'); assert info['class_names'] == ${JSON.stringify(names)}, info\n` +
        `vae_torch.save_export('named-back.safetensors', m, info)`,
    ]);
    const back = decodeSafetensors(readFileSync(join(root, 'named-back.safetensors')));
    const imported = fromTorchExport(back.tensors, back.metadata);
    assert.deepEqual(imported.classNames, names);
    assert.deepEqual(imported.model.config, model.config);
    for (const [name, t] of model.parameters()) {
      const other = imported.model.parameters().find(([n]) => n === name)![1];
      assert.deepEqual(other.data, t.data, `${name} changed on the way through torch`);
    }
  });
});

describe('vae import of a damaged export', () => {
  test('a broken config, a missing tensor or names that do not fit the classes: one line, exit 2, no run folder', async () => {
    const dataDir = writeIdxFolder(join(root, 'idx-small'), { train: 20, test: 10 });
    const config: VaeConfig = { inputDim: 784, imageHeight: 28, imageWidth: 28, hidden: [8], latent: 2, likelihood: 'bernoulli', arch: 'conv', classes: 3 };
    const { tensors, fields } = toTorchExport(new VAE(config, new Random(1)), { classNames: ['a', 'b', 'c'] });
    const cases: { name: string; tensors: typeof tensors; fields: Record<string, string>; pattern: RegExp }[] = [
      { name: 'bad-config', tensors, fields: { ...fields, [TORCH_META.model]: '{"inputDim": 784' }, pattern: /model config \(metadata vae_toolkit\.model\) is invalid/ },
      { name: 'wrong-config', tensors, fields: { ...fields, [TORCH_META.model]: JSON.stringify({ ...config, latent: 0 }) }, pattern: /latent must be a positive integer/ },
      { name: 'names', tensors, fields: { ...fields, [TORCH_META.classNames]: '["a", "b"]' }, pattern: /names 2 classes, the conditional model has 3/ },
      {
        name: 'missing',
        tensors: Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== 'decoder.deconvs.1.bias')),
        fields,
        pattern: /tensor decoder\.deconvs\.1\.bias is missing/,
      },
      { name: 'extra', tensors: { ...tensors, 'decoder.deconvs.2.bias': { shape: [1], data: new Float32Array(1) } }, fields, pattern: /unexpected tensor decoder\.deconvs\.2\.bias/ },
      {
        name: 'other-data',
        ...toTorchExport(new VAE({ ...config, arch: 'mlp', imageHeight: 14, imageWidth: 56 }, new Random(1))),
        pattern: /the model takes grey 14x56 images, idx:.* has grey 28x28 images/,
      },
    ];
    for (const c of cases) {
      writeFileSync(join(root, `${c.name}.safetensors`), encodeContainer({ noun: 'state dict', format: 'pt' }, c.tensors, c.fields));
      const r = await vae(['import', '--from', `${c.name}.safetensors`, '--dataset', `idx:${dataDir}`, '--out', `imp-${c.name}`], root);
      assertUserFailure(r, c.pattern);
      assert.equal(existsSync(join(root, `imp-${c.name}`)), false, `${c.name}: a run folder was left behind`);
    }
  });
});

describe('the README', { skip: NO_TORCH ?? false }, () => {
  test('its Python snippet loads an export and prints a NELBO and the class names', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Training beyond one machine'));
    const snippet = /```python\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(snippet !== undefined, 'the section has a python block');
    assert.ok(snippet.trim().split('\n').length <= 5, 'five lines at most');
    const model = new VAE(KINDS[3]!.config, new Random(3));
    const { tensors, fields } = toTorchExport(model, { classNames: ['a', 'b', 'c', 'd'] });
    const file = join(root, 'readme.safetensors');
    writeFileSync(file, encodeContainer({ noun: 'state dict', format: 'pt' }, tensors, fields));
    const r = spawnSync(PYTHON, ['-c', snippet.replace('"conv.safetensors"', JSON.stringify(file))], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tensor\(\[[-\d., \n]+\][^)]*\) \['a', 'b', 'c', 'd'\]$/m);
  });
});

describe('train_ddp.py refuses what it cannot read', { skip: NO_TORCH ?? false }, () => {
  test('a missing image folder, a missing IDX folder and an --out that is not safetensors: one line on stderr, exit 2', () => {
    const model = new VAE(KINDS[0]!.config, new Random(1));
    const { tensors, fields } = toTorchExport(model);
    writeFileSync(join(root, 'small.safetensors'), encodeContainer({ noun: 'state dict', format: 'pt' }, tensors, fields));
    const cases: [string[], RegExp][] = [
      [['--data', 'folder:pics', '--out', 'o.safetensors'], /image folder not found: pics/],
      [['--data', 'idx:nowhere', '--out', 'o.safetensors'], /no such IDX file: nowhere\/train-images-idx3-ubyte/],
      [['--data', 'idx:nowhere', '--out', 'o.pt'], /--out must name a \.safetensors file/],
    ];
    for (const [args, pattern] of cases) {
      const r = spawnSync(PYTHON, [TRAIN_DDP, '--init', 'small.safetensors', '--epochs', '1', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(existsSync(join(root, 'o.safetensors')), false);
    }
  });
});

describe('DistributedDataParallel round trip', { skip: NO_TORCH ?? (existsSync(TORCHRUN) ? false : `${TORCHRUN} is missing`) }, () => {
  test('torchrun --nproc_per_node=2 trains a conv export one epoch; vae import and vae eval agree with torch', async (t) => {
    const dataDir = writeIdxFolder(join(root, 'idx'), { train: 512, test: 400 });
    const data = `idx:${dataDir}`;
    // A conv run whose config records class names, as runs of named data do.
    const config = { ...defaultRunConfig(), data: { channels: 1, height: 28, width: 28, classNames: 'zero one two three four five six seven eight nine'.split(' '), noun: 'image' as const } };
    config.model = { inputDim: 784, imageHeight: 28, imageWidth: 28, hidden: [32], latent: 4, likelihood: 'bernoulli', arch: 'conv', classes: 10 };
    config.training = { ...config.training, dataset: data, epochs: 1, trainSize: 512, testSize: 400 };
    const runDir = join(root, 'conv-run');
    mkdirSync(runDir);
    saveCheckpoint(runDir, createTrainingState(config));
    await vaeOk(['train', '--resume', runDir], root);
    const exported = await vaeOk(['export', '--checkpoint', runDir, '--out', 'conv.safetensors'], root);
    assert.match(exported.stdout, /with its 10 class names/);

    // Debian's torchrun 1.13 under Python 3.11 cannot parse its own default --redirects/--tee
    // ("0"); a mapping for a rank that does not exist leaves every real rank's streams alone.
    // A free rendezvous port of its own, as other tests may run torchrun at the same time.
    const r = spawnSync(
      TORCHRUN,
      ['--redirects', '9:0', '--tee', '9:0', `--master_port=${await freePort()}`, '--nproc_per_node=2', TRAIN_DDP, '--init', 'conv.safetensors', '--data', data, '--epochs', '1', '--batch-size', '64', '--out', 'ddp.safetensors', '--json'],
      { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
    );
    assert.equal(r.status, 0, `torchrun:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /2 processes \(gloo\)/);
    const torchEval = JSON.parse(r.stdout.trim().split('\n').pop()!) as { test_nelbo: number; test_kl: number; test_nelbo_at_mean: number; examples: number };
    assert.equal(torchEval.examples, 400);

    await vaeOk(['import', '--from', 'ddp.safetensors', '--dataset', data, '--out', 'back'], root);
    const runConfig = JSON.parse(readFileSync(join(root, 'back', 'config.json'), 'utf8'));
    assert.deepEqual(runConfig.data.classNames, config.data.classNames);
    const state = loadCheckpoint(join(root, 'back'));
    const before = loadCheckpoint(runDir).model;
    assert.ok(worstDifference(before.parameters()[0]![1].data, state.model.parameters()[0]![1].data) > 1e-6, 'the DDP epoch changed the weights');

    // `vae eval` draws one posterior sample per image from its fixed seed; torch averages 16
    // draws per image from its own. Both estimate the same expectation, and over 400 images the
    // spread of ours is a fraction of a nat, so they agree within 0.5 nats.
    const ours = JSON.parse((await vaeOk(['eval', '--checkpoint', join(root, 'back'), '--json'], root)).stdout) as { test_nelbo: number; test_kl: number; examples: number };
    assert.equal(ours.examples, 400);
    t.diagnostic(`test NELBO: vae eval ${ours.test_nelbo.toFixed(3)}, torch ${torchEval.test_nelbo.toFixed(3)} nats per example`);
    assert.ok(Math.abs(ours.test_nelbo - torchEval.test_nelbo) < 0.5, `vae eval ${ours.test_nelbo} vs torch ${torchEval.test_nelbo}`);
    // The KL is in closed form on both sides: no sampling, so it agrees closely.
    assert.ok(Math.abs(ours.test_kl - torchEval.test_kl) < 1e-3 * Math.max(1, ours.test_kl), `KL ${ours.test_kl} vs torch ${torchEval.test_kl}`);

    // At the posterior mean nothing is drawn (Bernoulli on grey pixels: no binarization), so
    // our number for the imported weights must equal torch's to float precision.
    const test = loadDataset(data).test;
    const n = 400;
    const x = new Tensor(datasetFloats(test, n), [n, 784]);
    const labels = Array.from(test.labels.subarray(0, n));
    const posterior = state.model.encode(x, labels);
    const recon = state.model.negLogLikelihood(state.model.decodeDistribution(posterior.mu, labels), x);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += recon.data[k]!;
      for (let j = 0; j < 4; j++) {
        const m = posterior.mu.data[k * 4 + j]!;
        const lv = posterior.logvar.data[k * 4 + j]!;
        total += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
      }
    }
    const atMean = total / n;
    assert.ok(Math.abs(atMean - torchEval.test_nelbo_at_mean) < 1e-3 * Math.max(1, atMean), `at the posterior mean: ours ${atMean}, torch ${torchEval.test_nelbo_at_mean}`);
  });
});
