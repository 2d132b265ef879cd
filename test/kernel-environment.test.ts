/**
 * The environment variables the kernels read are checked: a bad value is one line on stderr
 * and exit code 2 from the CLI, never a silent fallback to other settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/errors.js';
import { readKernelEnvironment, checkGemmInUse } from '../src/kernels/environment.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('VAE_NUM_THREADS takes a whole number from 1 to 64, VAE_GEMM one of the products', () => {
  assert.deepEqual(readKernelEnvironment({}), { threads: null, gemm: null });
  assert.deepEqual(readKernelEnvironment({ VAE_NUM_THREADS: '1', VAE_GEMM: 'avx2' }), { threads: 1, gemm: 'avx2' });
  assert.equal(readKernelEnvironment({ VAE_NUM_THREADS: '64' }).threads, 64);
  for (const bad of ['abc', '0', '100000', '65', '', ' 2', '2 ', '1.5', '-1', '0x4', '1e1']) {
    assert.throws(() => readKernelEnvironment({ VAE_NUM_THREADS: bad }), (err: unknown) => err instanceof UserError && /VAE_NUM_THREADS/.test(err.message), bad);
  }
  for (const bad of ['bogus', '', 'AVX2', 'blas']) {
    assert.throws(() => readKernelEnvironment({ VAE_GEMM: bad }), (err: unknown) => err instanceof UserError && /VAE_GEMM/.test(err.message), bad);
  }
});

test('a product asked for but not in use is the user error, said once', () => {
  checkGemmInUse(null, 'avx512');
  checkGemmInUse('avx2', 'avx2');
  checkGemmInUse('builtin', 'avx512');
  assert.throws(() => checkGemmInUse('openblas', 'avx512'), /VAE_GEMM=openblas is not available/);
  assert.throws(() => checkGemmInUse('builtin', 'openblas'), UserError);
  assert.throws(() => checkGemmInUse('avx512', 'avx2'), UserError);
});

function vae(env: Record<string, string>, ...args: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

for (const [name, value] of [
  ['VAE_NUM_THREADS', 'abc'],
  ['VAE_NUM_THREADS', '0'],
  ['VAE_NUM_THREADS', '100000'],
  ['VAE_GEMM', 'bogus'],
] as const) {
  test(`vae with ${name}=${value}: one line on stderr, exit 2`, () => {
    // Kernels are chosen before the checkpoint is read, so no model is needed to see it;
    // with js kernels too, since the variable is meant for whichever kernels run.
    for (const kernels of ['auto', 'js']) {
      const { status, stderr } = vae({ [name]: value }, 'eval', '--checkpoint', '/nonexistent/run', '--kernels', kernels);
      assert.equal(status, 2, stderr);
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, new RegExp(`^vae: ${name}=`));
    }
  });
}

test('good values pass the check and the command goes on to its own errors', () => {
  const { status, stderr } = vae({ VAE_NUM_THREADS: '1', VAE_GEMM: 'base' }, 'eval', '--checkpoint', '/nonexistent/run', '--kernels', 'auto');
  assert.equal(status, 2, stderr);
  assert.doesNotMatch(stderr, /VAE_/);
});
