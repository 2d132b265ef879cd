/**
 * kill -9 at random moments of a run, each followed by the one command that continues it,
 * and at the end the same metrics, latent snapshots and checkpoint as a run never killed.
 *
 * A run of many short epochs (8 steps each) is trained once without interruption; then the
 * same run is started, killed with SIGKILL (at a random moment, or just after an epoch's
 * summary line while its files are written, or while the figures are drawn; delays seeded),
 * and continued with whatever the folder calls for, until `kills` kills are done; then it is
 * left to finish.
 * The continuing command is the one a user would type:
 *   nothing in the folder                  -> vae train ... --out D (the first command again)
 *   config.json but no checkpoint          -> vae train --resume D (starts it again)
 *   a checkpoint short of the last epoch   -> vae train --resume D
 *   the last epoch but no report.html      -> vae report --checkpoint D (which --resume names)
 * Each kill is classed by what the folder shows after it: before the first checkpoint, during
 * training, during the figures, or during `vae report`; temporary files left by an atomic
 * write cut short are counted (they must be gone once the run is next opened).
 *
 *   node dist/bench/kill-resume.js [kills=20] [seed=1] [epochs=30]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../src/engine/random.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../src/train/checkpoint.js';
import { readMetrics } from '../src/train/metrics-log.js';
import { SNAPSHOTS_FILE } from '../src/train/snapshots.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const kills = Number(process.argv[2] ?? 20);
const seed = Number(process.argv[3] ?? 1);
const epochs = Number(process.argv[4] ?? 30);
const RUN = ['--train-size', '512', '--test-size', '128', '--batch-size', '64', '--hidden', '32', '--latent', '2', '--seed', '5', '--epochs', String(epochs)];

const root = mkdtempSync(join(tmpdir(), 'vae-kill-resume-'));
const ref = join(root, 'uninterrupted');
const dir = join(root, 'killed');

/** Where a kill is aimed: at a random moment, just after an epoch's summary line (its metrics, snapshots and checkpoint are being written), or into the figures. */
type Aim = 'random' | 'epoch writes' | 'figures';

interface Attempt {
  status: number | null;
  signal: string | null;
  stderr: string;
}

/** Runs a command; kills it with SIGKILL as `aim` says (null: let it finish). Resolves with how it ended. */
function run(args: string[], aim: { kind: Aim; delayMs: number; epoch: number } | null, onLastEpoch?: () => void): Promise<Attempt> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let armed = false;
    const kill = (ms: number): void => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), ms);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      stdout += c;
      const last = new RegExp(`^epoch ${epochs}/${epochs} `, 'm').test(stdout);
      if (last) onLastEpoch?.();
      if (aim?.kind === 'epoch writes' && (stdout.match(/^epoch \d+\/\d+ /gm) ?? []).length >= aim.epoch) kill(aim.delayMs);
      if (aim?.kind === 'figures' && last) kill(aim.delayMs);
    });
    child.stderr.on('data', (c: string) => (stderr += c));
    if (aim?.kind === 'random' || (aim?.kind === 'figures' && args[0] === 'report')) kill(aim.delayMs);
    // A command that never reaches its aim (a resume past that epoch) is killed at random instead.
    if (aim !== null && aim.kind !== 'random') setTimeout(() => kill(0), aim.delayMs + fullSeconds * 1000);
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

let fullSeconds = 0;
const t0 = performance.now();
let lastEpochAt = 0;
const first = await run(['train', ...RUN, '--out', ref], null, () => (lastEpochAt ||= performance.now()));
if (first.status !== 0) throw new Error(`the uninterrupted run failed: ${first.stderr}`);
fullSeconds = (performance.now() - t0) / 1000;
const figureSeconds = (performance.now() - lastEpochAt) / 1000;

type Phase = 'before the first checkpoint' | 'during training' | "between an epoch's metrics line and its checkpoint" | 'during the figures' | 'during vae report';

function nextCommand(): { args: string[]; phase: Phase } {
  if (existsSync(join(dir, CHECKPOINT_FILE))) {
    const epoch = loadCheckpoint(dir).epoch;
    if (epoch < epochs) return { args: ['train', '--resume', dir], phase: 'during training' };
    return { args: ['report', '--checkpoint', dir], phase: 'during vae report' };
  }
  if (existsSync(join(dir, 'config.json'))) return { args: ['train', '--resume', dir], phase: 'before the first checkpoint' };
  return { args: ['train', ...RUN, '--out', dir], phase: 'before the first checkpoint' };
}

const tempFiles = (): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []);
const rng = new Random(seed);
const counts = new Map<string, number>();
const aims = new Map<string, number>();
let killed = 0;
let commands = 0;
let strayTemps = 0;
let strayLeftAfterOpen = 0;
const notices = new Set<string>();
const complete = (): boolean =>
  existsSync(join(dir, CHECKPOINT_FILE)) && existsSync(join(dir, 'report.html')) && loadCheckpoint(dir).epoch === epochs;
while (!complete()) {
  const { args } = nextCommand();
  let aim: { kind: Aim; delayMs: number; epoch: number } | null = null;
  if (killed < kills) {
    // The last five kills go into the figures (of train, then of vae report); the others are
    // half at random moments within 40% of a whole run's wall time, half just after an epoch's
    // summary line, while its metrics line, snapshots and checkpoint are being written.
    const kind: Aim = killed >= kills - 5 || args[0] === 'report' ? 'figures' : rng.int(2) === 0 ? 'random' : 'epoch writes';
    const delayMs =
      kind === 'random' ? rng.uniform() * fullSeconds * 400 : kind === 'epoch writes' ? rng.uniform() * 30 : rng.uniform() * figureSeconds * 1000;
    aim = { kind, delayMs: Math.round(delayMs), epoch: 1 + rng.int(3) };
  }
  const before = tempFiles();
  const r = await run(args, aim);
  commands++;
  for (const line of r.stderr.split('\n')) {
    if (/^vae (train|report): /.test(line)) notices.add(line.replaceAll(dir, 'D').replace(/process \d+/, 'process N'));
  }
  if (r.signal === 'SIGKILL') {
    killed++;
    aims.set(aim!.kind, (aims.get(aim!.kind) ?? 0) + 1);
    // What the folder shows now says what was cut short.
    const after = nextCommand();
    const logged = readMetrics(dir).length;
    const saved = existsSync(join(dir, CHECKPOINT_FILE)) ? loadCheckpoint(dir).epoch : 0;
    const phase: Phase =
      logged > saved && args[0] === 'train'
        ? "between an epoch's metrics line and its checkpoint"
        : args[0] === 'report'
        ? 'during vae report'
        : after.args[0] === 'report'
          ? 'during the figures'
          : after.phase === 'during training'
            ? 'during training'
            : 'before the first checkpoint';
    counts.set(phase, (counts.get(phase) ?? 0) + 1);
    strayTemps += tempFiles().length;
    continue;
  }
  if (r.status !== 0) throw new Error(`vae ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  // A train command that ran to its end has opened the folder: no stray file of a killed writer may remain.
  if (args[0] === 'train') strayLeftAfterOpen += before.filter((f) => tempFiles().includes(f)).length;
}

const strip = (d: string): string[] => readMetrics(d).map(({ seconds: _s, samples_per_sec: _r, ...m }) => JSON.stringify(m));
const same = (f: string): boolean => readFileSync(join(ref, f)).equals(readFileSync(join(dir, f)));
const metricsSame = JSON.stringify(strip(ref)) === JSON.stringify(strip(dir));
const results = {
  kills: killed,
  commands,
  epochs,
  uninterruptedSeconds: Number(fullSeconds.toFixed(1)),
  figureSeconds: Number(figureSeconds.toFixed(1)),
  killsAimedAt: Object.fromEntries(aims),
  killsLandedIn: Object.fromEntries(counts),
  tempFilesLeftByKills: strayTemps,
  tempFilesSurvivingTheNextOpen: strayLeftAfterOpen,
  remainingTempFiles: tempFiles().length,
  metricsIdentical: metricsSame,
  checkpointIdentical: same(CHECKPOINT_FILE),
  snapshotsIdentical: same(SNAPSHOTS_FILE),
  reportWritten: existsSync(join(dir, 'report.html')),
  // vae report takes no lock, so a lock of a train killed just before it stays until the next train takes it over.
  staleLockLeft: existsSync(join(dir, 'run.lock')),
  notices: [...notices],
};
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
rmSync(root, { recursive: true, force: true });
process.exitCode = metricsSame && results.checkpointIdentical && results.snapshotsIdentical && results.reportWritten ? 0 : 1;
