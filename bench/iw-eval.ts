/**
 * `npm run bench:iw`: the importance-weighted estimate of -log p(x) (`vae eval --iw K`) on the
 * MLP VAE against the same estimate in PyTorch (bench/peers/pytorch_iw.py, Debian's
 * python3-torch) on the same weights (`vae export --format torch-safetensors`) and the same
 * images (the first N MNIST test images, grey), side by side in one run.
 *
 *   npm run bench:iw [-- --k 5000] [-- --images 300] [-- --checkpoint DIR] [-- --json]
 *
 * Without --checkpoint, a small model is trained first (one epoch on 10,000 images,
 * `--binarize none --test-size N`), so the run's test set is exactly the N images the peer
 * reads. Ours is timed as the whole `vae eval --iw K` command less the same command without
 * --iw (loading, the ELBO and the latent statistics), so both sides time the estimate alone;
 * the commands' wall times are printed too. The two estimates draw different samples, so
 * they agree to within the Monte Carlo error, not to the last digit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, flag, option } from './options.js';

const k = Number(option('k', '5000'));
const images = Number(option('images', '300'));
const json = flag('json');
const given = option('checkpoint', '');
if (!Number.isInteger(k) || k < 1 || !Number.isInteger(images) || images < 1) fail('--k and --images take whole numbers >= 1');

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PEER = fileURLToPath(new URL('../../bench/peers/pytorch_iw.py', import.meta.url));
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function run(command: string, args: string[], label: string, env: Record<string, string> = {}): { stdout: string; seconds: number } {
  const started = performance.now();
  const child = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24, env: { ...process.env, ...env } });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) fail(`${label} failed (exit ${child.status})`);
  return { stdout: child.stdout, seconds };
}
function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

const work = mkdtempSync(join(tmpdir(), 'vae-iw-bench-'));
try {
  let checkpoint = given;
  if (checkpoint === '') {
    checkpoint = join(work, 'run');
    process.stderr.write(`training a small MLP VAE (10,000 images, 1 epoch, test set ${images} images)...\n`);
    run(process.execPath, [CLI, 'train', '--train-size', '10000', '--test-size', String(images), '--epochs', '1', '--binarize', 'none', '--out', checkpoint], 'vae train');
  }
  const model = join(work, 'model.safetensors');
  run(process.execPath, [CLI, 'export', '--checkpoint', checkpoint, '--format', 'torch-safetensors', '--out', model], 'vae export');

  interface Row {
    path: string;
    seconds: number;
    wall: number;
    nll: number;
  }
  const rows: Row[] = [];
  // Ours on every core (its default), and on one, which is what to compare with PyTorch's
  // one thread when other jobs share the machine.
  for (const threads of [0, 1]) {
    const env: Record<string, string> = threads === 0 ? {} : { VAE_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    const label = threads === 0 ? 'vae eval' : `vae eval-${threads}t`;
    process.stderr.write(`ours${threads === 0 ? '' : `, ${threads} thread`}: vae eval --iw ${k}...\n`);
    const base = run(process.execPath, [CLI, 'eval', '--checkpoint', checkpoint, '--json'], 'vae eval', env);
    const ours = run(process.execPath, [CLI, 'eval', '--checkpoint', checkpoint, '--iw', String(k), '--json'], 'vae eval --iw', env);
    const got = lastJson(ours.stdout);
    if (got['examples'] !== images) fail(`the run evaluates ${String(got['examples'])} images, not ${images}; train it with --test-size ${images}`);
    rows.push({ path: label, seconds: ours.seconds - base.seconds, wall: ours.seconds, nll: got['iw_nll'] as number });
  }
  for (const threads of [1, 2]) {
    process.stderr.write(`pytorch, ${threads} thread${threads === 1 ? '' : 's'}...\n`);
    const peer = run(PYTHON, [PEER, model, '--images', String(images), '--k', String(k), '--threads', String(threads)], 'the PyTorch peer');
    const r = lastJson(peer.stdout);
    rows.push({ path: String(r['kernels']), seconds: r['seconds'] as number, wall: peer.seconds, nll: r['iw_nll'] as number });
  }
  const best = Math.min(...rows.filter((r) => r.path.startsWith('pytorch')).map((r) => r.seconds));
  if (json) {
    for (const r of rows) process.stdout.write(JSON.stringify({ ...r, k, images, ratio_to_pytorch: r.seconds / best }) + '\n');
  } else {
    process.stdout.write(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, -log p(x) with K = ${k} on ${images} MNIST test images\n`);
    const header = ['path', 'estimate s', 'wall s', '-L_K nats', 'x PyTorch'];
    const table = rows.map((r) => [r.path, r.seconds.toFixed(2), r.wall.toFixed(2), r.nll.toFixed(2), (r.seconds / best).toFixed(2)]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    for (const row of [header, ...table]) process.stdout.write(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n');
    process.stdout.write("ratios are the estimate's seconds over PyTorch's best thread setting\n");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
