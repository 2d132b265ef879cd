/**
 * How long the measures take on MNIST's 10,000 test digits.
 *
 *   node dist/bench/measure.js [--runs N]
 *
 * Prints one JSON line per timing:
 * - `cli`: the whole command `vae measure --dataset mnist --split test --out FILE.csv` in a
 *   child process (start-up, loading MNIST, measuring, writing the CSV), wall seconds, best
 *   of N runs;
 * - `glyph`: measureGlyph alone over the 10,000 images in this process, best of N passes,
 *   as wall and CPU milliseconds per image (CPU time is what a loaded machine does not
 *   inflate);
 * - `glyph_hazy`: the same digits with a faint haze (0.02 + 0.96 x) so that no pixel is 0,
 *   as a decoder's output is: the upscale cannot skip empty margins there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../src/data/mnist.js';
import { datasetFloats } from '../src/data/dataset.js';
import { measureGlyph } from '../src/measure/glyph.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('measure bench: --runs needs a whole number from 1\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'vae-measure-bench-'));
try {
  const out = join(dir, 'measures.csv');
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [MAIN, 'measure', '--dataset', 'mnist', '--split', 'test', '--out', out], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (child.status !== 0) throw new Error(`vae measure failed (${child.status}):\n${child.stderr}`);
    best = Math.min(best, seconds);
  }
  const rows = readFileSync(out, 'utf8').trim().split('\n').length - 1;
  console.log(JSON.stringify({ timing: 'cli', command: 'vae measure --dataset mnist --split test', images: rows, best_seconds: +best.toFixed(2), runs }));

  const test = loadMnist().test;
  const plane = test.height * test.width;
  const floats = datasetFloats(test);
  const hazy = floats.map((v) => 0.02 + 0.96 * v);
  for (const [timing, images] of [
    ['glyph', floats],
    ['glyph_hazy', hazy],
  ] as const) {
    let bestWall = Infinity;
    let bestCpu = Infinity;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < test.count; i++) measureGlyph(images.subarray(i * plane, (i + 1) * plane), test.height, test.width);
      const cpu = process.cpuUsage(c0);
      bestWall = Math.min(bestWall, (performance.now() - t0) / test.count);
      bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1000 / test.count);
    }
    console.log(JSON.stringify({ timing, images: test.count, wall_ms_per_image: +bestWall.toFixed(3), cpu_ms_per_image: +bestCpu.toFixed(3), runs }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
