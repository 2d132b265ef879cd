/**
 * One writer per run folder: two `vae train --out D` started together, a `--resume D` during
 * a run, a lock left by a killed process, and the lock given up on every way out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors.js';
import { LOCK_FILE, acquireLock, processAlive, readLock } from '../src/run/lock.js';
import { readMetrics } from '../src/train/metrics-log.js';
import { TINY_MODEL, TINY_RUN, runVae, startVae } from './support/train-cli.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-run-lock-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The id of a process that has certainly ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  assert.ok(!processAlive(pid));
  return pid;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /);
  return lines[0]!;
}

test('a lock is held by one taker; a dead holder\'s lock is taken over with a notice', () => {
  const dir = join(root, 'unit');
  mkdirSync(dir);
  const notices: string[] = [];
  const lock = acquireLock(dir, 'vae train', (l) => notices.push(l));
  assert.equal(readLock(dir)?.pid, process.pid);
  assert.throws(() => acquireLock(dir, 'vae train', (l) => notices.push(l)), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, new RegExp(`^vae train: .*unit is in use by process ${process.pid} \\(vae train\\)`));
    return true;
  });
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);

  const pid = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, started: Date.now() - 60_000, command: 'vae train' }));
  const taken = acquireLock(dir, 'vae train', (l) => notices.push(l));
  assert.deepEqual(notices, [`vae train: took over the lock of ${dir} from process ${pid}, which is no longer running`]);
  assert.equal(readLock(dir)?.pid, process.pid);
  taken.release();
  taken.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);

  // An unreadable lock (a holder that died mid-write on a system without link) counts as dead.
  writeFileSync(join(dir, LOCK_FILE), '');
  acquireLock(dir, 'vae train', () => undefined).release();
});

test('two vae train --out D started together: exactly one trains, the other exits 2 in one line', { timeout: 120_000 }, async () => {
  const args = ['train', ...TINY_RUN, '--seed', '4', '--out', 'twice'];
  const [a, b] = await Promise.all([runVae(args, root), runVae(args, root)]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [0, 2], `${a.stderr}\n${b.stderr}`);
  const loser = a.status === 2 ? a : b;
  // Either it met the lock, or the winner had finished already and the folder holds its run.
  assert.match(oneLine(loser.stderr), /is in use by process \d+|already holds a run/);
  assert.deepEqual(readMetrics(join(root, 'twice')).map((m) => m.epoch), [1]);
  assert.equal(existsSync(join(root, 'twice', LOCK_FILE)), false);
});

test('--resume D while D is being trained exits 2 naming the process; SIGTERM stops the run and frees D', { timeout: 120_000 }, async () => {
  const run = startVae(['train', ...TINY_MODEL, '--epochs', '100000', '--out', 'busy'], root);
  try {
    await run.waitFor(/^epoch 1\/100000 /m);
    const holder = readLock(join(root, 'busy'));
    assert.equal(holder?.pid, run.child.pid);
    const resume = await runVae(['train', '--resume', 'busy'], root);
    assert.equal(resume.status, 2, resume.stderr);
    assert.match(oneLine(resume.stderr), new RegExp(`busy is in use by process ${run.child.pid} \\(vae train\\) since `));
    const again = await runVae(['train', ...TINY_RUN, '--out', 'busy'], root);
    assert.equal(again.status, 2, again.stderr);
    assert.match(oneLine(again.stderr), new RegExp(`in use by process ${run.child.pid}`));

    run.child.kill('SIGTERM');
    const end = await run.exit;
    assert.equal(end.status, 130, end.stderr);
    assert.match(end.stderr, /continue with: vae train --resume busy/);
    assert.equal(existsSync(join(root, 'busy', LOCK_FILE)), false, 'the lock is released');
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});

test('Ctrl-C twice quits at once and still frees the folder; a killed run\'s lock is taken over', { timeout: 120_000 }, async () => {
  const run = startVae(['train', ...TINY_MODEL, '--epochs', '100000', '--out', 'ctrlc'], root);
  try {
    await run.waitFor(/^epoch 1\/100000 /m);
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const end = await run.exit;
    assert.equal(end.status, 130, end.stderr);
    assert.equal(existsSync(join(root, 'ctrlc', LOCK_FILE)), false);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }

  const killed = startVae(['train', ...TINY_MODEL, '--epochs', '100000', '--out', 'killed'], root);
  await killed.waitFor(/^epoch 1\/100000 /m);
  killed.child.kill('SIGKILL');
  await killed.exit;
  const stale = JSON.parse(readFileSync(join(root, 'killed', LOCK_FILE), 'utf8')) as { pid: number };
  assert.equal(stale.pid, killed.child.pid);
  const resumed = await runVae(['train', '--resume', 'killed', '--epochs', '2'], root);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`took over the lock of killed from process ${killed.child.pid}, which is no longer running`));
  assert.equal(readMetrics(join(root, 'killed')).at(-1)?.epoch, 2);
  assert.equal(existsSync(join(root, 'killed', LOCK_FILE)), false);
});
