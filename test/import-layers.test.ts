/**
 * The import rule (.dependency-cruiser.cjs) catches what it is meant to: `npm test` runs it on
 * src/, and here it runs on a small tree that breaks it on purpose, so a rule that matched
 * nothing (a wrong path pattern, imports it cannot resolve) would fail this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/import-layers.test.js -> the repository root
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vae-layers-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function cruise(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('imports upward, into cli/, from kernels to engine, in a cycle, or to a folder outside the order are refused; downward ones pass', () => {
  const dir = tree({
    'src/errors.ts': 'export class UserError extends Error {}\n',
    'src/kernels/js.ts': "import { UserError } from '../errors.js';\nexport const js = UserError;\n",
    'src/kernels/select.ts': "import { tensor } from '../engine/tensor.js';\nexport const chosen = tensor;\n",
    'src/engine/tensor.ts': "import { js } from '../kernels/js.js';\nimport { helper } from '../misc/helper.js';\nexport const tensor = [js, helper];\n",
    // A folder with no place in the layer order.
    'src/misc/helper.ts': 'export const helper = 1;\n',
    'src/data/batches.ts': "import { tensor } from '../engine/tensor.js';\nexport const batch = tensor;\n",
    'src/vae/model.ts': "import { batch } from '../data/batches.js';\nimport { tensor } from '../engine/tensor.js';\nexport const model = [batch, tensor];\n",
    'src/cli/flags.ts': "export const flag = 1;\n",
    // Type-only, and still refused: a type from above ties the layer to it just the same.
    'src/viz/report.ts': "import type { Flag } from '../cli/types.js';\nexport const report = (f: Flag): Flag => f;\n",
    'src/cli/types.ts': 'export type Flag = number;\n',
    'src/train/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
    'src/train/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
    'src/server/app.ts': "import { flag } from '../cli/flags.js';\nimport { model } from '../vae/model.js';\nexport const app = [flag, model];\n",
  });
  try {
    const { status, out } = cruise(dir);
    assert.notEqual(status, 0, out);
    assert.match(out, /layer-kernels: src\/kernels\/select\.ts → src\/engine\/tensor\.ts/);
    assert.match(out, /layer-viz: src\/viz\/report\.ts → src\/cli\/types\.ts/);
    assert.match(out, /layer-server: src\/server\/app\.ts → src\/cli\/flags\.ts/);
    assert.match(out, /no-circular: src\/train\/a\.ts → /);
    assert.match(out, /layer-known: src\/engine\/tensor\.ts → src\/misc\/helper\.ts/);
    // The allowed ones: engine -> kernels, data -> engine, vae -> data, server -> vae.
    assert.doesNotMatch(out, /src\/engine\/tensor\.ts → src\/kernels/);
    assert.doesNotMatch(out, /src\/data\/batches\.ts →/);
    assert.doesNotMatch(out, /src\/vae\/model\.ts →/);
    assert.doesNotMatch(out, /src\/server\/app\.ts → src\/vae/);
    assert.match(out, /x 5 dependency violations/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

