// Builds the WebAssembly kernels (wasm/kernels.c) during `npm install`, with Debian's clang and
// lld (packages clang, lld): no C library, nothing downloaded.
//
// Why C and clang rather than AssemblyScript from npm: one language for both compiled kernel
// sets (native/ is C++), clang's vector extensions map one to one onto wasm SIMD, and the
// same toolchain gives the shared-memory build the threads need. A machine without clang
// (the one case where the native addon cannot build either) must still get the wasm path, so
// both built modules are committed and shipped: kernels.wasm (its own memory, for pages
// without cross-origin isolation) and kernels-threads.wasm (an imported shared memory, for
// worker threads). Where clang is present they are rebuilt from source, and the build is
// reproducible (no debug info, no paths, no producer section), so a rebuild with the clang
// named in wasm/toolchain.txt gives the committed bytes; test/wasm-build.test.ts checks that.
//
// Never fails the install: without clang the shipped modules are kept, and this says so once.
'use strict';
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const here = __dirname;
const SOURCE = join(here, 'kernels.c');
// The largest memory the modules may grow to: 2 GiB (engines reserve a shared memory's
// maximum up front, as address space only).
const MAX_MEMORY = 2 * 1024 * 1024 * 1024;
const CFLAGS = ['--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-matomics', '-mmutable-globals', '-nostdlib', '-ffreestanding'];
const LINK = ['--no-entry', '--import-memory', '--export=__heap_base', '--export=__stack_pointer', `--max-memory=${MAX_MEMORY}`, '--strip-all'];
const OUTPUTS = {
  'kernels.wasm': LINK,
  'kernels-threads.wasm': [...LINK, '--shared-memory'],
};

function tool(name) {
  return process.env[`VAE_WASM_${name.toUpperCase().replace('-', '_')}`] || name;
}

/** The first line of `clang --version`, or null when there is no clang. */
function clangVersion() {
  const r = spawnSync(tool('clang'), ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

/** Compiles and links both modules into `outDir`; returns null, or why it could not. */
function build(outDir) {
  const work = mkdtempSync(join(tmpdir(), 'vae-wasm-'));
  try {
    const object = join(work, 'kernels.o');
    const cc = spawnSync(tool('clang'), [...CFLAGS, '-c', SOURCE, '-o', object], { encoding: 'utf8' });
    if (cc.error) return `${tool('clang')} not found`;
    if (cc.status !== 0) return (cc.stderr.split('\n').find((l) => /error/.test(l)) ?? `clang exit ${cc.status}`).trim();
    for (const [name, flags] of Object.entries(OUTPUTS)) {
      const out = join(work, name);
      const ld = spawnSync(tool('wasm-ld'), [...flags, object, '-o', out], { encoding: 'utf8' });
      if (ld.error) return `${tool('wasm-ld')} not found (Debian package lld)`;
      if (ld.status !== 0) return (ld.stderr.split('\n')[0] || `wasm-ld exit ${ld.status}`).trim();
    }
    for (const name of Object.keys(OUTPUTS)) {
      // copy then rename, so a reader never sees half a module
      copyFileSync(join(work, name), join(outDir, `${name}.tmp`));
      renameSync(join(outDir, `${name}.tmp`), join(outDir, name));
    }
    return null;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  if (process.env.VAE_SKIP_WASM === '1') {
    process.stdout.write('vae-toolkit: VAE_SKIP_WASM=1, wasm kernels not rebuilt; the shipped wasm/kernels.wasm is used\n');
    return;
  }
  const started = Date.now();
  const failed = build(here);
  if (failed !== null) {
    process.stdout.write(`vae-toolkit: wasm kernels not rebuilt (${failed}); the shipped wasm/kernels.wasm is used\n`);
    return;
  }
  const size = readFileSync(join(here, 'kernels.wasm')).length;
  process.stdout.write(`vae-toolkit: wasm kernels built in ${((Date.now() - started) / 1000).toFixed(1)} s (${Math.round(size / 1024)} KB)\n`);
}

module.exports = { build, clangVersion };
if (require.main === module) main();
