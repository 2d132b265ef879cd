/**
 * `vae serve` and `vae train --ui/--port` as a user meets them: the compiled CLI in a
 * subprocess. Mistakes are one line and exit code 2; a good start prints the URL, serves,
 * and stops cleanly on Ctrl-C.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRunConfig } from '../src/train/config.js';
import { createTrainingState, saveCheckpoint } from '../src/train/checkpoint.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
let root: string;
let runDir: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-serve-cli-'));
  runDir = join(root, 'run');
  mkdirSync(runDir);
  const config = defaultRunConfig();
  config.model.hidden = [8];
  config.model.latent = 2;
  saveCheckpoint(runDir, createTrainingState(config));
  writeFileSync(join(root, 'broken.safetensors'), 'not a checkpoint at all');
});
after(() => rmSync(root, { recursive: true, force: true }));

function vae(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUserError(args: string[], pattern: RegExp): void {
  const r = vae(args);
  assert.equal(r.status, 2, `vae ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('mistakes are one line and exit code 2', async () => {
  assertUserError(['serve'], /give one of --checkpoint DIR or --run DIR/);
  assertUserError(['serve', '--run', runDir, '--checkpoint', runDir], /give one of/);
  assertUserError(['serve', '--run', join(root, 'missing')], /--run needs a run folder/);
  assertUserError(['serve', '--checkpoint', join(root, 'broken.safetensors')], /not a valid safetensors file/);
  assertUserError(['serve', '--run', runDir, '--port', '70000'], /--port/);
  assertUserError(['train', '--port', '9000'], /--port is for the dashboard server; add --ui/);

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    // Spawned asynchronously: a synchronous spawn would block the loop the blocker listens on.
    const r = await runAsync(['serve', '--run', runDir, '--port', String(port)]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`port ${port} is already in use; choose another with --port`));
  } finally {
    blocker.close();
  }
});

test('vae serve prints its URL, serves the run, and stops on Ctrl-C with exit code 0', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--run', runDir, '--port', '0'], { cwd: root });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /explorer at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before printing a URL: ${out}`)));
    });
    const info = (await (await fetch(new URL('/api/info', url))).json()) as { live: boolean; model: { epoch: number; config: { latent: number } } };
    assert.equal(info.live, false);
    assert.equal(info.model.config.latent, 2);
    // No live training here: no event stream, no stop button.
    assert.equal((await fetch(new URL('/api/events', url))).status, 404);
    assert.equal((await fetch(new URL('/live', url))).status, 404);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

function runAsync(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: root });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}
