/**
 * What happens when the native addon cannot be built or loaded: `npm install` still
 * succeeds with one line of explanation, `auto` falls back to the wasm kernels shipped in the
 * package (or, without those too, to js) with a one-line notice, and `--kernels native` is
 * refused with exit code 2. All run on copies, so the addon of this checkout is never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeIdxFolder } from './support/tiny.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('npm install without a working C++ compiler: the build step exits 0 and says why in one line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-native-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const built = join(ROOT, 'native', 'build');
  cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true, filter: (src) => src !== built && !src.startsWith(built + sep) });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const r = spawnSync(process.execPath, [join(dir, 'native', 'build.cjs')], {
    encoding: 'utf8',
    env: { ...process.env, CXX: join(dir, 'no-such-compiler'), CC: join(dir, 'no-such-compiler') },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  assert.match(lines[0]!, /^vae-toolkit: native kernels not built \(.+\); the wasm kernels will be used\. Details: .*build\.log$/);
  assert.ok(!existsSync(join(dir, 'native', 'build', 'Release', 'vae_native.node')));
});

test('npm install without clang: the wasm build step exits 0, says so in one line, and keeps the shipped modules', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-wasm-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'wasm'), join(dir, 'wasm'), { recursive: true });
  const before = readFileSync(join(dir, 'wasm', 'kernels.wasm'));
  const r = spawnSync(process.execPath, [join(dir, 'wasm', 'build.cjs')], {
    encoding: 'utf8',
    env: { ...process.env, VAE_WASM_CLANG: join(dir, 'no-such-compiler') },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `vae-toolkit: wasm kernels not rebuilt (${join(dir, 'no-such-compiler')} not found); the shipped wasm/kernels.wasm is used`,
  ]);
  assert.deepEqual(readFileSync(join(dir, 'wasm', 'kernels.wasm')), before);
  assert.ok(statSync(join(dir, 'wasm', 'kernels-threads.wasm')).size > 0);
});

/** dist/ and the shipped wasm modules (unless `withWasm` is false) in a fresh folder without the addon. */
function installWithoutAddon(t: { after(fn: () => void): void }, withWasm: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'vae-no-addon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  if (withWasm) cpSync(join(ROOT, 'wasm'), join(dir, 'wasm'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Generated IDX data in `dir`: the subject is the kernels, not the digits. */
function tinyFlags(dir: string): string[] {
  const data = writeIdxFolder(join(dir, 'data'), { train: 256, test: 128 });
  return ['--dataset', `idx:${data}`, '--epochs', '1', '--hidden', '16', '--latent', '2'];
}
const noAddon = 'the native addon was not built (npm install needs g++ and make; run `npm rebuild`)';

test('without the addon: auto takes the wasm kernels with one notice; --kernels native exits 2 with one line', (t) => {
  const dir = installWithoutAddon(t, true);
  const main = join(dir, 'dist', 'src', 'cli', 'main.js');
  const tiny = tinyFlags(dir);

  const auto = spawnSync(process.execPath, [main, 'train', ...tiny, '--out', join(dir, 'run')], { encoding: 'utf8' });
  assert.equal(auto.status, 0, auto.stdout + auto.stderr);
  const notices = auto.stderr.split('\n').filter((l) => l.startsWith('note:'));
  assert.deepEqual(notices, [`note: using the wasm kernels, because ${noAddon}`]);
  assert.match(JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')).kernels, /^wasm \(\d+ threads?\)$/);

  const forced = spawnSync(process.execPath, [main, 'train', ...tiny, '--kernels', 'native', '--out', join(dir, 'run2')], { encoding: 'utf8' });
  assert.equal(forced.status, 2);
  assert.equal(forced.stderr.trim().split('\n').length, 1, forced.stderr);
  assert.match(forced.stderr, /--kernels native is not available: the native addon was not built/);
  assert.ok(!existsSync(join(dir, 'run2')), 'nothing is created when the kernels are refused');
});

test('without the addon and the wasm modules: auto falls back to js with one notice; --kernels wasm exits 2 with one line', (t) => {
  const dir = installWithoutAddon(t, false);
  const main = join(dir, 'dist', 'src', 'cli', 'main.js');
  const tiny = tinyFlags(dir);

  const auto = spawnSync(process.execPath, [main, 'train', ...tiny, '--out', join(dir, 'run')], { encoding: 'utf8' });
  assert.equal(auto.status, 0, auto.stdout + auto.stderr);
  const notices = auto.stderr.split('\n').filter((l) => l.startsWith('note:'));
  assert.deepEqual(notices, [`note: using the js kernels, because ${noAddon}, and the wasm kernels did not load: wasm/kernels.wasm is missing`]);
  assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')).kernels, 'js');

  const forced = spawnSync(process.execPath, [main, 'train', ...tiny, '--kernels', 'wasm', '--out', join(dir, 'run2')], { encoding: 'utf8' });
  assert.equal(forced.status, 2);
  assert.deepEqual(forced.stderr.trim().split('\n'), ['vae: --kernels wasm is not available: the wasm kernels did not load: wasm/kernels.wasm is missing']);
  assert.ok(!existsSync(join(dir, 'run2')), 'nothing is created when the kernels are refused');
});
