/**
 * `vae factors` on the 10,000 MNIST test images: the whole command's wall time, and where it
 * goes (encoding, measuring, the statistics and traversals, the figures).
 *
 *   npx tsc -p . && node dist/bench/factors.js [--checkpoint DIR] [--repeats N] [--json]
 *
 * Without --checkpoint, a 2-D MLP VAE is trained first (10,000 training images, one epoch,
 * the whole test set), which is the size the command's cost depends on: its work grows with
 * the test images and hardly with the model. The machine's load average is printed with the
 * numbers, since other jobs on a shared machine stretch every wall time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { loadDataset } from '../src/data/source.js';
import { runData } from '../src/train/config.js';
import { encodeDataset } from '../src/train/posterior.js';
import { analyzeFactors } from '../src/train/factors.js';
import { renderFactorFiles } from '../src/viz/factors-report.js';
import { factorMeasuresFor } from '../src/viz/run-figures.js';
import { useKernels } from '../src/engine/use-kernels.js';
import { fail, flag, option } from './options.js';

const repeats = Number(option('repeats', '3'));
if (!Number.isInteger(repeats) || repeats < 1) fail('--repeats takes a whole number >= 1');
const json = flag('json');
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function run(args: string[], label: string): number {
  const started = performance.now();
  const child = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  if (child.status !== 0) fail(`${label} failed (exit ${child.status}): ${child.stderr}`);
  return (performance.now() - started) / 1000;
}

/** Wall seconds, and the CPU seconds this process spent (user + system), which other jobs on the machine stretch far less. */
function timed<T>(work: () => T): { value: T; seconds: number; cpu: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = work();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'vae-factors-bench-'));
try {
  const loadBefore = loadavg()[0]!;
  let checkpoint = option('checkpoint', '');
  if (checkpoint === '') {
    checkpoint = join(work, 'run');
    process.stderr.write('training a 2-D MLP VAE (10,000 images, 1 epoch, all 10,000 test images)...\n');
    run(['train', '--latent', '2', '--train-size', '10000', '--epochs', '1', '--out', checkpoint], 'vae train');
  }

  const command: number[] = [];
  for (let i = 0; i < repeats; i++) {
    process.stderr.write(`vae factors, run ${i + 1} of ${repeats}...\n`);
    command.push(run(['factors', '--checkpoint', checkpoint, '--out', join(work, 'out'), '--json'], 'vae factors'));
  }

  // The same work in this process, stage by stage.
  useKernels('auto');
  const state = loadCheckpoint(checkpoint);
  const load = timed(() => runData(loadDataset(state.config.training.dataset), state.config.training).test);
  const test = load.value;
  const { measures, shape } = factorMeasuresFor(state.config);
  const encode = timed(() => encodeDataset(state.model, test));
  const measure = timed(() =>
    encodeDataset(state.model, test, (images, _first, count) => {
      const dim = state.model.config.inputDim;
      for (let i = 0; i < count; i++) measures.measure(images.subarray(i * dim, (i + 1) * dim), shape.channels, shape.height, shape.width);
    }),
  );
  const analysis = timed(() => analyzeFactors(state.model, test, measures));
  const figures = timed(() => renderFactorFiles(analysis.value, shape));

  const result = {
    date: new Date().toISOString().slice(0, 10),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    load_average_1min: { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) },
    test_images: test.count,
    latent: state.model.config.latent,
    command_seconds: command.map((s) => Number(s.toFixed(2))),
    command_median_seconds: Number(median(command).toFixed(2)),
    stages_seconds: {
      load_test_set: Number(load.seconds.toFixed(2)),
      encode: Number(encode.seconds.toFixed(2)),
      encode_and_measure: Number(measure.seconds.toFixed(2)),
      analysis_whole: Number(analysis.seconds.toFixed(2)),
      figures: Number(figures.seconds.toFixed(2)),
    },
    stages_cpu_seconds: {
      load_test_set: Number(load.cpu.toFixed(2)),
      encode: Number(encode.cpu.toFixed(2)),
      encode_and_measure: Number(measure.cpu.toFixed(2)),
      analysis_whole: Number(analysis.cpu.toFixed(2)),
      figures: Number(figures.cpu.toFixed(2)),
    },
    ms_per_image_measured: Number(((1000 * (measure.seconds - encode.seconds)) / test.count).toFixed(3)),
    cpu_ms_per_image_measured: Number(((1000 * (measure.cpu - encode.cpu)) / test.count).toFixed(3)),
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const s = result.stages_seconds;
    const c = result.stages_cpu_seconds;
    process.stdout.write(
      [
        `vae factors on ${result.test_images} test images (latent ${result.latent}), ${result.cpu}, ${result.cores} cores, load ${result.load_average_1min.before} -> ${result.load_average_1min.after}`,
        `  whole command (a fresh node each time): median ${result.command_median_seconds} s of ${result.command_seconds.join(', ')} s`,
        '  in-process, wall (CPU) seconds:',
        `    load the test set ${s.load_test_set} (${c.load_test_set}), encode ${s.encode} (${c.encode}), encode and measure ${s.encode_and_measure} (${c.encode_and_measure}):`,
        `    ${result.ms_per_image_measured} ms (${result.cpu_ms_per_image_measured} ms CPU) per image measured; the analysis whole ${s.analysis_whole} (${c.analysis_whole}), the figures ${s.figures} (${c.figures})`,
      ].join('\n') + '\n',
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
