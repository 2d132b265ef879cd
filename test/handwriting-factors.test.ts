/**
 * The explainer's exercise without a browser: 60 generated "hello"s, each with a known slant,
 * stored as `vae collect` stores them, trained on with the small-folder defaults and
 * augmentation, and `vae factors` asked what the two latent axes mean. One axis must be named
 * slant, and its codes (from `vae encode`, matched to the files by its file column, both
 * splits) must follow the generator's own slants with |r| >= 0.6.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { correlation } from '../src/train/partial-correlation.js';
import { vaeOk } from './support/cli.js';
import { tempRoot } from './support/tiny.js';
import { HELLO_TRAIN_FLAGS, writeHelloFolder } from './support/hello-strokes.js';

const root = tempRoot('handwriting-factors');
after(() => rmSync(root, { recursive: true, force: true }));


interface FactorsFile {
  dimensions: { dim: number; active: boolean; factor?: string; r?: number }[];
}

test('60 hellos: vae factors names slant on one of the two axes, and its codes follow the known slants with |r| >= 0.6', async () => {
  const folder = writeHelloFolder(join(root, 'hello'), 60, 2026);
  const run = join(root, 'run');
  await vaeOk(['train', '--dataset', `folder:${folder.dir}`, ...HELLO_TRAIN_FLAGS, '--out', run], root);
  await vaeOk(['factors', '--checkpoint', run], root);
  const factors = JSON.parse(readFileSync(join(run, 'factors.json'), 'utf8')) as FactorsFile;
  const named = factors.dimensions.filter((d) => d.active && d.factor === 'slant_deg');
  assert.ok(named.length > 0, `no axis named slant: ${JSON.stringify(factors.dimensions.map((d) => [d.dim, d.factor, d.r]))}`);

  const codes = new Map<string, number[]>();
  for (const split of ['train', 'test']) {
    const out = join(root, `${split}.csv`);
    await vaeOk(['encode', '--checkpoint', run, '--split', split, '--out', out], root);
    const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    const file = columns.indexOf('file');
    const mu = [columns.indexOf('mu_0'), columns.indexOf('mu_1')];
    for (const row of rows) {
      const cells = row.split(',');
      codes.set(cells[file]!, mu.map((c) => Number(cells[c])));
    }
  }
  assert.equal(codes.size, 60);
  const files = [...codes.keys()];
  const known = files.map((f) => folder.byFile.get(f)!.slantDeg);
  const rs = named.map((d) => correlation(files.map((f) => codes.get(f)![d.dim]!), known));
  const best = Math.max(...rs.map(Math.abs));
  process.stdout.write(`# slant axis z${named.map((d) => d.dim).join(', z')}: r against the known slants ${rs.map((r) => r.toFixed(3)).join(', ')}\n`);
  assert.ok(best >= 0.6, `|r| = ${best.toFixed(3)} between the slant axis and the known slants`);
});
