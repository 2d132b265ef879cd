// Builds the native kernels during `npm install`. Never fails the install: without a C++
// toolchain (or on an unusual platform) the wasm kernels (wasm/) are used, and this says why, once.
// The compiler's full output goes to native/build.log.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const here = __dirname;
const log = join(here, 'build.log');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package; npm's own copy is the usual one
  }
  return candidates.find((p) => p && existsSync(p));
}

function main() {
  if (process.env.VAE_SKIP_NATIVE === '1') {
    process.stdout.write('vae-toolkit: VAE_SKIP_NATIVE=1, native kernels not built; the wasm kernels will be used\n');
    return;
  }
  const gyp = nodeGyp();
  if (gyp === undefined) {
    process.stdout.write('vae-toolkit: node-gyp not found, native kernels not built; the wasm kernels will be used\n');
    return;
  }
  const args = [gyp, 'rebuild'];
  // Node's own headers, when they sit beside the binary, spare node-gyp a download.
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const started = Date.now();
  const run = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', env: process.env });
  writeFileSync(log, `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.status !== 0) {
    const lines = `${run.stderr ?? ''}\n${run.stdout ?? ''}`.split('\n').map((l) => l.trim());
    const reason =
      lines.find((l) => /error:|not found|No such file|ERR! stack Error/.test(l)) ?? (run.error ? String(run.error) : `exit ${run.status}`);
    process.stdout.write(
      `vae-toolkit: native kernels not built (${reason.replace(/^gyp ERR! stack /, '')}); the wasm kernels will be used. Details: ${log}\n`,
    );
    return;
  }
  const blas = spawnSync(process.execPath, [join(here, 'detect-blas.cjs')], { cwd: here, encoding: 'utf8' }).stdout;
  let pick = 'unknown';
  try {
    pick = require(join(here, 'build', 'Release', 'vae_native.node')).info().gemm;
  } catch (err) {
    process.stdout.write(`vae-toolkit: native kernels built but do not load (${String(err).split('\n')[0]}); the wasm kernels will be used\n`);
    return;
  }
  const product = pick === 'openblas' ? 'OpenBLAS' : `built-in ${pick} kernels`;
  const also = blas === 'openblas' ? (pick === 'openblas' ? '' : '; OpenBLAS also built in') : '; no OpenBLAS (libopenblas-dev) found';
  process.stdout.write(
    `vae-toolkit: native kernels built in ${Math.round((Date.now() - started) / 1000)} s (matrix products on ${product}${also})\n`,
  );
}

main();
