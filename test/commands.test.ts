/**
 * Commands that behave alike: `vae --version`, `eval --test-size`, the default output names of
 * `sample` and `reconstruct`, progress of the long commands (one line per stage in a pipe, a
 * redrawn bar on a terminal), and a conditional model meeting a label outside its classes
 * (one line, exit 2). The data are tiny IDX folders of 8 x 8 images written here, so nothing
 * loads MNIST and every run takes a moment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { StageProgress, type Stage } from '../src/train/stage-progress.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
const SIDE = 8;
const SMALL = ['--epochs', '1', '--hidden', '16', '--latent', '2', '--batch-size', '32'];

let root: string;
/** An ordinary model trained on idx:plain with --test-size 40 (of its 100 test images). */
let plainRun: string;
/** A conditional model over the classes 0 and 1 of idx:binary. */
let condRun: string;
let binaryData: string;

function vae(args: string[], cwd = root): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

function vaeOk(args: string[], cwd = root): SpawnSyncReturns<string> {
  const r = vae(args, cwd);
  assert.equal(r.status, 0, `vae ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Exit 2 and exactly one stderr line matching every pattern, without a stack trace. */
function assertOneLineFailure(r: SpawnSyncReturns<string>, ...patterns: RegExp[]): void {
  assert.equal(r.status, 2, `expected exit 2, got ${r.status}:\n${r.stderr}`);
  assert.ok(r.stderr.endsWith('\n'), JSON.stringify(r.stderr));
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `expected one stderr line:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|internal error/);
  for (const p of patterns) assert.match(lines[0]!, p);
}

function idxFile(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08; // unsigned bytes
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/**
 * An IDX folder of 8 x 8 images: class c lights the rows c, c + 2, c + 4, ... (mod 8) over a
 * faint seeded noise, so the classes differ and a model has something to learn.
 */
function writeIdxFolder(dir: string, trainLabels: number[], testLabels: number[]): void {
  mkdirSync(dir, { recursive: true });
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  };
  const images = (labels: number[]): Uint8Array => {
    const out = new Uint8Array(labels.length * SIDE * SIDE);
    labels.forEach((label, i) => {
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) out[i * SIDE * SIDE + y * SIDE + x] = (y - label) % 2 === 0 ? 200 + (noise() >> 3) : noise() >> 2;
      }
    });
    return out;
  };
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxFile([trainLabels.length, SIDE, SIDE], images(trainLabels)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile([trainLabels.length], Uint8Array.from(trainLabels)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxFile([testLabels.length, SIDE, SIDE], images(testLabels)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxFile([testLabels.length], Uint8Array.from(testLabels)));
}

const alternating = (n: number, classes: number): number[] => Array.from({ length: n }, (_, i) => i % classes);

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-commands-'));
  writeIdxFolder(join(root, 'plain'), alternating(300, 4), alternating(100, 4));
  binaryData = join(root, 'binary');
  writeIdxFolder(binaryData, alternating(200, 2), alternating(50, 2));
  plainRun = join(root, 'plain-run');
  condRun = join(root, 'cond-run');
  vaeOk(['train', '--dataset', `idx:${join(root, 'plain')}`, '--test-size', '40', ...SMALL, '--out', plainRun]);
  vaeOk(['train', '--dataset', `idx:${binaryData}`, '--conditional', ...SMALL, '--out', condRun]);
});

after(() => rmSync(root, { recursive: true, force: true }));

function caseDir(): string {
  return mkdtempSync(join(root, 'case-'));
}

describe('vae --version', () => {
  test('prints the version package.json states, on stdout, and exits 0', () => {
    const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      const r = vaeOk(args);
      assert.equal(r.stdout, `vae-toolkit ${version}\n`);
      assert.equal(r.stderr, '');
    }
    assert.match(vaeOk(['--help']).stdout, /vae --version/);
  });
});

describe('vae eval --test-size', () => {
  const evalJson = (...args: string[]): { examples: number; test_nelbo: number } =>
    JSON.parse(vaeOk(['eval', '--checkpoint', plainRun, '--json', ...args]).stdout) as { examples: number; test_nelbo: number };

  test("evaluates on the first N test images, fewer or more than the run's own", () => {
    const own = evalJson();
    assert.equal(own.examples, 40, "by default, the run's --test-size");
    const logged = JSON.parse(readFileSync(join(plainRun, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { test_nelbo: number };
    assert.ok(Math.abs(own.test_nelbo - logged.test_nelbo) < 1e-6 * Math.abs(logged.test_nelbo), `${own.test_nelbo} vs ${logged.test_nelbo}`);

    assert.deepEqual(evalJson('--test-size', '40'), own, 'the same N as training: the same numbers');
    const fewer = evalJson('--test-size', '10');
    assert.equal(fewer.examples, 10);
    assert.notEqual(fewer.test_nelbo, own.test_nelbo);
    assert.equal(evalJson('--test-size', '70').examples, 70, 'more than the run evaluated on');
    assert.equal(evalJson('--test-size', '5000').examples, 100, 'capped at the test set');
    assert.equal(evalJson('--dataset', `idx:${join(root, 'plain')}`, '--test-size', '25').examples, 25, 'also of another --dataset');
    assert.match(vaeOk(['eval', '--checkpoint', plainRun, '--test-size', '12']).stdout, /over 12 \S+ test images/);
  });

  test('a test size that is not a positive integer is one line and exit 2', () => {
    assertOneLineFailure(vae(['eval', '--checkpoint', plainRun, '--test-size', '0']), /--test-size/);
    assertOneLineFailure(vae(['eval', '--checkpoint', plainRun, '--test-size', 'many']), /--test-size/);
  });
});

describe('default output names', () => {
  test('sample writes samples.png and reconstruct reconstructions.png in the current folder', () => {
    const dir = caseDir();
    const s = vaeOk(['sample', '--checkpoint', plainRun, '-n', '6'], dir);
    assert.match(s.stdout, /wrote 6 samples to samples\.png/);
    const r = vaeOk(['reconstruct', '--checkpoint', plainRun, '-n', '3'], dir);
    assert.match(r.stdout, /wrote 3 originals and reconstructions to reconstructions\.png/);
    for (const file of ['samples.png', 'reconstructions.png']) {
      const png = PNG.sync.read(readFileSync(join(dir, file)));
      assert.ok(png.width >= SIDE && png.height >= SIDE, `${file} is ${png.width}x${png.height}`);
    }
    // The run folder's own figures of the same names are left alone.
    assert.ok(!existsSync(join(dir, 'plain-run')));
    for (const command of ['sample', 'reconstruct']) {
      assert.match(vaeOk([command, '--help']).stdout, /--out <FILE\.png>.*\(default: (samples|reconstructions)\.png\)/);
    }
  });
});

describe('progress of the long commands', () => {
  const STAGE_LINE = /^vae (eval|report|serve): .+ \.\.\. done in \d+(\.\d)? s$|^vae (eval|report|serve): .+ \.\.\. done in \d+:\d\d$/;

  test('eval --iw in a pipe: one line per stage, the estimate named with K and its count', () => {
    const r = vaeOk(['eval', '--checkpoint', plainRun, '--iw', '7']);
    // With --iw, a failure is still one line: the checks happen before any stage line.
    assertOneLineFailure(vae(['eval', '--checkpoint', plainRun, '--iw', '7', '--dataset', 'idx:nowhere']), /^vae: dataset folder not found|nowhere/);
    const lines = r.stderr.trimEnd().split('\n');
    // Loading the data checks them against the model, so a pipe hears of it only if it fails.
    assert.equal(lines.length, 3, r.stderr);
    for (const line of lines) assert.match(line, STAGE_LINE);
    assert.match(lines[0]!, /^vae eval: negative ELBO, 40 images \.\.\./);
    assert.match(lines[1]!, /^vae eval: latent statistics \.\.\./);
    assert.match(lines[2]!, /^vae eval: -log p\(x\), K = 7, 40 images \.\.\./);
    assert.doesNotMatch(r.stderr, /\r|\x1b/, 'no terminal codes in a pipe');
    assert.match(r.stdout, /importance-weighted, K = 7/);
    // Without --iw, eval is quick and stays quiet.
    assert.equal(vaeOk(['eval', '--checkpoint', plainRun]).stderr, '');
  });

  test('report in a pipe: drawing and writing, one line each', () => {
    const out = join(caseDir(), 'figures');
    const r = vaeOk(['report', '--checkpoint', plainRun, '--out', out]);
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => /^vae report: (\w+)/.exec(l)?.[1]),
      ['drawing', 'writing'],
      r.stderr,
    );
    for (const line of lines) assert.match(line, STAGE_LINE);
    assert.ok(existsSync(join(out, 'report.html')));
  });

  test('serve in a pipe: loading and encoding the test set, before the address', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--checkpoint', plainRun, '--port', '0'], { cwd: root });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          if (/explorer at http/.test(out)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${out}\n${stderr}`)));
      });
      // Progress lines, then the hint that --run would also give the page the run's factors,
      // which is written after the address, so it may reach this end a moment later.
      const waited = Date.now();
      while (!stderr.includes('serving the model only') && Date.now() - waited < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 3, stderr);
      assert.match(lines[2]!, /^vae serve: serving the model only; --run .+ also gives the page the run's factor names and figures$/);
      assert.match(lines[0]!, /^vae serve: loading idx:.+ \.\.\. done in/);
      assert.match(lines[1]!, /^vae serve: encoding the test set with the epoch 1 model, 40 images \.\.\. done in/);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
  });

  /** A sink that records what a terminal would receive. */
  const sinkOf = (isTTY: boolean): { write(s: string): void; isTTY: boolean; columns: number; text: string } => ({
    isTTY,
    columns: 100,
    text: '',
    write(s: string) {
      this.text += s;
    },
  });

  test('on a terminal: a bar redrawn in place with counts and ETA, cleared at the end', () => {
    let t = 0;
    const sink = sinkOf(true);
    const progress = new StageProgress({ sink, command: 'vae eval', now: () => t });
    const stage = progress.start('-log p(x), K = 5', { total: 200, unit: 'images' });
    t = 1000;
    stage.update(50);
    t = 1050; // within the redraw interval: skipped
    stage.update(60);
    t = 2000;
    stage.update(200);
    stage.finish();
    const frames = sink.text.split('\r').filter((f) => f !== '');
    assert.match(frames[0]!, /^vae eval: -log p\(x\), K = 5 \[-{20}\]\s+0\/200 images  ETA \?:\?\?\x1b\[K$/);
    assert.match(frames[1]!, /^vae eval: -log p\(x\), K = 5 \[#{5}-{15}\]\s+50\/200 images  ETA 0:03\x1b\[K$/);
    assert.match(frames[2]!, /^vae eval: -log p\(x\), K = 5 \[#{20}\]  200\/200 images  ETA 0:00\x1b\[K$/);
    assert.equal(frames[3], '\x1b[K', 'the line is cleared');
    assert.equal(frames.length, 4);
    assert.ok(!sink.text.includes('\n'), 'a terminal gets no new lines from progress');
  });

  test('in a pipe: one line per stage, "failed" when the stage throws', () => {
    let t = 0;
    const sink = sinkOf(false);
    const progress = new StageProgress({ sink, command: 'vae report', now: () => t });
    progress.run('loading mnist', () => {
      t += 1500;
    });
    const result = progress.run(
      'writing',
      (stage: Stage) => {
        for (let i = 1; i <= 3; i++) stage.update(i);
        t += 90_000;
        return 'ok';
      },
      { total: 3, unit: 'files' },
    );
    assert.equal(result, 'ok');
    assert.throws(() =>
      progress.run('drawing', () => {
        throw new Error('boom');
      }),
    );
    assert.equal(
      sink.text,
      'vae report: loading mnist ... done in 1.5 s\n' + 'vae report: writing, 3 files ... done in 1:30\n' + 'vae report: drawing ... failed\n',
    );
  });
});

describe('a conditional model meeting a label outside its classes', () => {
  test('eval on another dataset with more classes: one line naming the label and the classes, exit 2', () => {
    const more = join(root, 'more');
    const labels = alternating(30, 2);
    labels[7] = 200;
    writeIdxFolder(more, alternating(30, 2), labels);
    assertOneLineFailure(vae(['eval', '--checkpoint', condRun, '--dataset', `idx:${more}`]), /^vae eval: /, /label 200/, /classes are 0 to 1/, /test image 7/);
    // The labels it does know are evaluated as before.
    vaeOk(['eval', '--checkpoint', condRun, '--dataset', `idx:${binaryData}`]);
  });

  test("the run's own data grown a class: eval, report, reconstruct and train --resume refuse in one line", () => {
    const grown = join(root, 'grown');
    writeIdxFolder(grown, alternating(200, 2), alternating(50, 2));
    const run = join(root, 'cond-grown-run');
    vaeOk(['train', '--dataset', `idx:${grown}`, '--conditional', ...SMALL, '--out', run]);
    const test = alternating(50, 2);
    test[3] = 5;
    const train = alternating(200, 2);
    train[11] = 2;
    writeIdxFolder(grown, train, test);
    assertOneLineFailure(vae(['eval', '--checkpoint', run]), /^vae eval: .*test image 3 has label 5.*classes are 0 to 1/);
    assertOneLineFailure(vae(['report', '--checkpoint', run]), /^vae report: .*label 5/);
    assertOneLineFailure(vae(['reconstruct', '--checkpoint', run, '--out', join(root, 'r.png')]), /^vae reconstruct: .*label 5/);
    assert.ok(!existsSync(join(root, 'r.png')));
    assertOneLineFailure(vae(['train', '--resume', run, '--epochs', '2']), /^vae train: .*training image 11 has label 2.*classes are 0 to 1/);
  });
});
