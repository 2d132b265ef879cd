/**
 * Runs a user recovers with one command: killed before the first checkpoint, killed while
 * the figures were drawn, temporary files left by killed writers, a busy dashboard port; and
 * `train --ui` serving the final model after training until Ctrl-C.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStrayTemps } from '../src/run/folder.js';
import { LOCK_FILE } from '../src/run/lock.js';
import { CHECKPOINT_FILE } from '../src/train/checkpoint.js';
import { METRICS_FILE, readMetrics } from '../src/train/metrics-log.js';
import { SNAPSHOTS_FILE } from '../src/train/snapshots.js';
import { TINY_MODEL, TINY_RUN, runVae, startVae } from './support/train-cli.js';

let root: string;
/** An uninterrupted run of TINY_RUN: what every recovered run must equal, byte for byte. */
const CLEAN = 'clean';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-run-recovery-'));
  const r = await runVae(['train', ...TINY_RUN, '--out', CLEAN], root);
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(root, { recursive: true, force: true }));

function sameRun(dir: string): void {
  const bytes = (d: string, f: string): Buffer => readFileSync(join(root, d, f));
  assert.ok(bytes(dir, CHECKPOINT_FILE).equals(bytes(CLEAN, CHECKPOINT_FILE)), `${dir}: checkpoint differs from an uninterrupted run`);
  assert.ok(bytes(dir, SNAPSHOTS_FILE).equals(bytes(CLEAN, SNAPSHOTS_FILE)), `${dir}: latent snapshots differ`);
  const strip = (d: string): unknown[] => readMetrics(join(root, d)).map(({ seconds: _s, samples_per_sec: _r, ...m }) => m);
  assert.deepEqual(strip(dir), strip(CLEAN));
}

/** The one line a command says, leaving aside the progress lines of a pipe. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !/^epoch \d+\/\d+ /.test(l));
  assert.equal(lines.length, 1, stderr);
  return lines[0]!;
}

/** A folder as a run killed in epoch 1 leaves it: its config, a metrics line, snapshots, and no checkpoint. */
function killedBeforeFirstCheckpoint(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of ['config.json', METRICS_FILE, SNAPSHOTS_FILE]) cpSync(join(root, CLEAN, f), join(dir, f));
  // Temporary files of atomic writes by a process that is gone (pid 2^22 + 1 is above Linux's pid_max default)...
  writeFileSync(join(dir, `.${SNAPSHOTS_FILE}.4194305.0123456789ab.tmp`), 'half');
  writeFileSync(join(dir, `.${CHECKPOINT_FILE}.4194305.ba9876543210.tmp`), 'half');
  // ...while a file of the user's is left alone.
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  return dir;
}

test('stray temporary files of writers that are gone are removed; a live writer\'s are kept', () => {
  const dir = join(root, 'temps');
  mkdirSync(dir);
  const gone = `.${METRICS_FILE}.4194305.0123456789ab.tmp`;
  const live = `.${CHECKPOINT_FILE}.${process.pid}.0123456789ab.tmp`;
  for (const f of [gone, live, '.hidden.tmp', 'plain.0123456789ab.tmp']) writeFileSync(join(dir, f), 'x');
  assert.deepEqual(removeStrayTemps(dir), [gone]);
  assert.deepEqual(readdirSync(dir).sort(), ['.checkpoint.safetensors.' + process.pid + '.0123456789ab.tmp', '.hidden.tmp', 'plain.0123456789ab.tmp'].sort());
});

test('a run killed before its first checkpoint starts again with the same command, and says so', { timeout: 120_000 }, async () => {
  const dir = killedBeforeFirstCheckpoint('again');
  const r = await runVae(['train', ...TINY_RUN, '--out', 'again'], root);
  assert.equal(r.status, 0, r.stderr);
  assert.match(oneLine(r.stderr), /^vae train: the run in again stopped before its first checkpoint; starting it again \(removed its metrics\.jsonl, latent_snapshots\.safetensors, config\.json\)$/);
  sameRun('again');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'stray temporary files are removed');
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
});

test('--resume of a run killed before its first checkpoint starts it again from its config.json', { timeout: 120_000 }, async () => {
  killedBeforeFirstCheckpoint('resumed');
  const r = await runVae(['train', '--resume', 'resumed'], root);
  assert.equal(r.status, 0, r.stderr);
  assert.match(oneLine(r.stderr), /the run in resumed stopped before its first checkpoint; starting it again from its config\.json/);
  sameRun('resumed');

  const empty = join(root, 'empty');
  mkdirSync(empty);
  const none = await runVae(['train', '--resume', 'empty'], root);
  assert.equal(none.status, 2);
  assert.match(oneLine(none.stderr), /no checkpoint in empty/);
});

test('a finished run whose figures were not drawn: --resume points to vae report, which completes it', { timeout: 120_000 }, async () => {
  const dir = join(root, 'nofigures');
  cpSync(join(root, CLEAN), dir, { recursive: true });
  unlinkSync(join(dir, 'report.html'));
  const r = await runVae(['train', '--resume', 'nofigures'], root);
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stderr), /has trained all 1 epochs, but its figures were not drawn; complete it with: vae report --checkpoint nofigures$/);
  const report = await runVae(['report', '--checkpoint', 'nofigures'], root);
  assert.equal(report.status, 0, report.stderr);
  assert.ok(existsSync(join(dir, 'report.html')));
  const done = await runVae(['train', '--resume', 'nofigures'], root);
  assert.match(oneLine(done.stderr), /already trained 1 of 1 epochs; pass --epochs N/);
});

test('train --ui on a busy port fails in one line before the run folder is made', { timeout: 60_000 }, async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await runVae(['train', ...TINY_RUN, '--ui', '--port', String(port), '--out', 'busyport'], root);
    assert.equal(r.status, 2);
    assert.match(oneLine(r.stderr), new RegExp(`port ${port} is already in use`));
    assert.equal(existsSync(join(root, 'busyport')), false);
  } finally {
    blocker.close();
  }
  const host = await runVae(['train', ...TINY_RUN, '--host', '127.0.0.1', '--out', 'nohost'], root);
  assert.equal(host.status, 2);
  assert.match(oneLine(host.stderr), /--host is for the dashboard server; add --ui/);
});

test('train --ui --host keeps serving the final model after training until Ctrl-C', { timeout: 120_000 }, async () => {
  const run = startVae(['train', ...TINY_MODEL, '--epochs', '2', '--ui', '--host', '127.0.0.1', '--port', '0', '--out', 'served'], root);
  try {
    const [, url] = await run.waitFor(/until Ctrl-C\n/).then(() => /live dashboard: (http:\S+)/.exec(run.stdout())!);
    assert.match(url!, /^http:\/\/127\.0\.0\.1:\d+\/live$/);
    // Training is over and the folder is free, but the pages are still there.
    assert.equal(existsSync(join(root, 'served', LOCK_FILE)), false);
    const info = (await (await fetch(new URL('/api/info', url))).json()) as { model: { epoch: number } };
    assert.equal(info.model.epoch, 2, 'the explorer shows the final checkpoint');
    const model = await fetch(new URL('/api/model', url));
    assert.equal(model.status, 200);
    const events = await fetch(new URL('/api/events', url));
    const reader = events.body!.getReader();
    let text = '';
    while (!/event: end/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    assert.match(text, /event: end\ndata: \{"status":"done","message":"2 epochs, test NELBO [\d.]+ nats"/);
    run.child.kill('SIGINT');
    const end = await run.exit;
    assert.equal(end.status, 0, end.stderr);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});
