/**
 * The README's library example runs as written: its code block is taken from README.md,
 * compiled from TypeScript to JavaScript (types only are dropped) and run as a program that
 * imports the package by its name. The example itself trains on a subset, so nothing in it is
 * patched. Also: the library computes on the kernels `--kernels auto` picks, unless told
 * otherwise before its first op.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { loadNativeKernels } from '../src/kernels/native.js';

// dist/test/readme-example.test.js -> the repository root, where package.json and README.md are.
const REPO = fileURLToPath(new URL('../../', import.meta.url));

let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-readme-'));
  // The example imports 'vae-toolkit': resolve it to this checkout, as an installed package would be.
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(REPO, join(root, 'node_modules', 'vae-toolkit'), 'dir');
});

after(() => rmSync(root, { recursive: true, force: true }));

/** The first ```ts block after the heading `## The library`. */
function libraryExample(readme: string): string {
  const section = readme.indexOf('\n## The library\n');
  assert.ok(section >= 0, 'README.md has no "## The library" section');
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(match !== null, 'the library section has no ```ts code block');
  return match[1]!;
}

function runScript(name: string, source: string): SpawnSyncReturns<string> {
  const file = join(root, name);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return r;
}

test("README's library example trains, prints each epoch and saves a checkpoint into a new folder", () => {
  const example = libraryExample(readFileSync(join(REPO, 'README.md'), 'utf8'));
  const { code } = transformSync(example, { loader: 'ts', format: 'esm', target: 'node20' });
  const r = runScript('example.mjs', code);
  assert.equal(r.status, 0, `the example failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);

  // console.log(m.epoch, m.test_nelbo) once per epoch.
  const lines = r.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
  assert.deepEqual(lines.map(([epoch]) => epoch), [1, 2, 3, 4, 5], r.stdout);
  const nelbo = lines.map(([, n]) => n!);
  for (const n of nelbo) assert.ok(Number.isFinite(n) && n > 0, `test NELBO ${n}`);
  assert.ok(nelbo[4]! < nelbo[0]!, `the test NELBO did not fall over 5 epochs: ${nelbo.join(', ')}`);

  // runs/mine did not exist: saveCheckpoint made it, and the last epoch's checkpoint is whole.
  const state = loadCheckpoint(join(root, 'runs', 'mine'));
  assert.equal(state.epoch, 5);
  assert.equal(state.model.config.latent, 2);

  // With the addon built, auto means native and says nothing; without it, one notice line.
  if (loadNativeKernels().ok) assert.equal(r.stderr, '');
  else assert.match(r.stderr, /^vae-toolkit: note: using the js kernels, because .+\n$/);
});

test('the library computes on the kernels auto picks, chosen on the first op; useKernels before it has the last word', () => {
  const probe = (before: string): string =>
    [
      "import { Tensor, kernels, matmul, selectKernels, useKernels } from 'vae-toolkit';",
      before,
      'const y = matmul(new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]), new Tensor(new Float32Array([1, 0, 0, 1]), [2, 2]));',
      'if (y.data[3] !== 4) throw new Error(`wrong product ${y.data}`);',
      "console.log(JSON.stringify({ used: kernels().name, auto: selectKernels('auto').kernels.name }));",
    ].join('\n');

  const byDefault = runScript('default.mjs', probe(''));
  assert.equal(byDefault.status, 0, byDefault.stderr);
  const chosen = JSON.parse(byDefault.stdout) as { used: string; auto: string };
  assert.equal(chosen.used, chosen.auto);
  assert.equal(chosen.used, loadNativeKernels().ok ? 'native' : 'js');

  const portable = runScript('portable.mjs', probe("useKernels('js');"));
  assert.equal(portable.status, 0, portable.stderr);
  assert.equal((JSON.parse(portable.stdout) as { used: string }).used, 'js');
  assert.equal(portable.stderr, '', 'asking for js loads no addon and says nothing');
});

test('saveCheckpoint creates missing parent folders', () => {
  // Covered end to end above; this checks a deeper path than the example's, on its own.
  const dir = join(root, 'a', 'b', 'c');
  assert.ok(!existsSync(dir));
  const r = runScript(
    'save.mjs',
    [
      "import { createTrainingState, defaultRunConfig, saveCheckpoint, loadCheckpoint } from 'vae-toolkit';",
      'const config = defaultRunConfig();',
      'config.model.hidden = [8]; config.model.latent = 2;',
      `const path = saveCheckpoint(${JSON.stringify(dir)}, createTrainingState(config));`,
      'console.log(loadCheckpoint(path).epoch);',
    ].join('\n'),
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0');
});
