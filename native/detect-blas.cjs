// Answers binding.gyp's questions about OpenBLAS: can a program that calls cblas_sgemm be
// compiled and linked here? Prints the gyp list asked for (`defines` or `libraries`), empty
// when OpenBLAS is absent or VAE_NO_OPENBLAS=1 is set. Never fails: no OpenBLAS only means
// the built-in kernels are used.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function haveOpenBlas() {
  if (process.env.VAE_NO_OPENBLAS === '1') return false;
  const dir = mkdtempSync(join(tmpdir(), 'vae-blas-'));
  try {
    const src = join(dir, 'probe.cc');
    writeFileSync(
      src,
      '#include <cblas.h>\nint main() { float a = 1, b = 1, c = 0;\n' +
        '  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);\n' +
        '  return c == 1.0f ? 0 : 1; }\n',
    );
    execFileSync(process.env.CXX || 'g++', [src, '-o', join(dir, 'probe'), '-lopenblas'], { stdio: 'ignore' });
    execFileSync(join(dir, 'probe'), { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const want = process.argv[2];
const found = haveOpenBlas();
if (want === 'defines') process.stdout.write(found ? 'VAE_HAVE_OPENBLAS' : '');
else if (want === 'libraries') process.stdout.write(found ? '-lopenblas' : '');
else process.stdout.write(found ? 'openblas' : 'none');
