/**
 * The wasm modules committed in wasm/ are what wasm/kernels.c compiles to: machines without
 * clang run them, so a source change without a rebuild would ship stale kernels. Skipped
 * where clang is missing or is not the one the modules were built with (wasm/toolchain.txt),
 * since another compiler version gives other (equally good) bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WASM = fileURLToPath(new URL('../../wasm/', import.meta.url));
const { build, clangVersion } = createRequire(import.meta.url)(join(WASM, 'build.cjs')) as {
  build(outDir: string): string | null;
  clangVersion(): string | null;
};
const recorded = readFileSync(join(WASM, 'toolchain.txt'), 'utf8').trim();
const clang = clangVersion();
const skip = clang === null ? 'no clang here' : clang !== recorded ? `clang here is "${clang}", the modules were built with "${recorded}"` : false;

test('the committed wasm modules are up to date with wasm/kernels.c', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-wasm-rebuild-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(build(dir), null);
  for (const name of ['kernels.wasm', 'kernels-threads.wasm']) {
    const fresh = readFileSync(join(dir, name));
    const committed = readFileSync(join(WASM, name));
    assert.ok(fresh.equals(committed), `wasm/${name} differs from a fresh build of wasm/kernels.c: run \`npm run build:wasm\` and commit it`);
  }
});
