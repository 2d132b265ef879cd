/**
 * One way to run the `vae` command line from a test.
 *
 *   await vae(args, cwd)          in-process: runCli() of src/cli/main.ts with args, in folder cwd;
 *                                 resolves to { status, stdout, stderr }. Fast: no node start-up,
 *                                 no addon load. Use it for everything that does not need a process.
 *   await vaeOk(args, cwd)        the same, and asserts exit status 0 (the failure shows both streams).
 *   vaeProcess(args, cwd)         the compiled CLI as a real subprocess (spawnSync), same result shape;
 *                                 for what needs a process of its own: the exit path of main.js itself.
 *   startVae(args, cwd, ready)    the CLI as a background subprocess: resolves `ready` to the first
 *                                 capture group of the RegExp on its stdout (a URL, say); for servers,
 *                                 signals and locks. stop() sends SIGINT and resolves to the exit code.
 *   assertUserFailure(r, pattern) exit 2, exactly one stderr line naming vae and matching pattern, no stack.
 *   describeRun(r)                status and both streams, for assertion messages.
 *
 * In-process runs capture what the CLI writes as strings to process.stdout and process.stderr
 * (the test runner's own messages are binary and pass through), and run one at a time, since
 * they change the process's working folder for their duration.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';

/** dist/test/support/cli.js -> dist/src/cli/main.js */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `vae ...args` in-process with `cwd` as the working folder. */
export function vae(args: string[], cwd: string = process.cwd()): Promise<CliResult> {
  const next = queue.then(() => runInProcess(args, cwd));
  queue = next.catch(() => undefined);
  return next;
}

async function runInProcess(args: string[], cwd: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (sink: string[], original: typeof process.stdout.write, stream: NodeJS.WriteStream): typeof process.stdout.write =>
    function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      sink.push(chunk);
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (done) queueMicrotask(done);
      return true;
    } as typeof process.stdout.write;
  const home = process.cwd();
  process.chdir(cwd);
  process.stdout.write = capture(out, stdoutWrite, process.stdout);
  process.stderr.write = capture(err, stderrWrite, process.stderr);
  try {
    const status = await runCli(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.chdir(home);
  }
}

/** `vae` in-process, asserting that it succeeds. */
export async function vaeOk(args: string[], cwd?: string): Promise<CliResult> {
  const r = await vae(args, cwd);
  assert.equal(r.status, 0, `vae ${args.join(' ')} failed:\n${describeRun(r)}`);
  return r;
}

/** `vae` as a subprocess, synchronously. */
export function vaeProcess(args: string[], cwd: string = process.cwd(), timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface BackgroundVae {
  child: ChildProcess;
  /** The first capture group of `ready` on stdout; rejects if the process exits first. */
  ready: Promise<string>;
  /** The exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  /** Both streams so far, for assertion messages. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** SIGINT (Ctrl-C), then the exit code. */
  stop(): Promise<number | null>;
}

/** `vae` as a background subprocess, for servers, signals and locks. */
export function startVae(args: string[], cwd: string, ready: RegExp = /(?!)/): BackgroundVae {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const readyMatch = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = ready.exec(out);
      if (m) resolve(m[1] ?? m[0]);
    });
    void exit.then((code) => reject(new Error(`vae ${args.join(' ')} exited ${code} before printing ${ready}:\n${out}\n${err}`)));
  });
  // A caller that never awaits `ready` should not see an unhandled rejection when the process ends.
  readyMatch.catch(() => undefined);
  return {
    child,
    ready: readyMatch,
    exit,
    output: () => `--- stdout\n${out}\n--- stderr\n${err}`,
    stdout: () => out,
    stderr: () => err,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exit;
    },
  };
}

export function describeRun(r: CliResult): string {
  return `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Exit status 2, exactly one non-empty stderr line that names vae, no stack trace or JS error prefix. */
export function assertUserFailure(r: CliResult, pattern: RegExp): void {
  assert.equal(r.status, 2, `expected exit status 2:\n${describeRun(r)}`);
  assert.ok(r.stderr.endsWith('\n'), `stderr must end with a newline: ${JSON.stringify(r.stderr)}`);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `expected exactly one stderr line, got ${lines.length}:\n${r.stderr}`);
  const line = lines[0]!;
  assert.ok(line.trim().length > 0, 'the stderr line is empty');
  assert.ok(!r.stderr.includes('    at '), `stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(line, /^(\w*Error|Error)\b:/, `JS error prefix on stderr: ${line}`);
  assert.doesNotMatch(line, /internal error/);
  assert.match(line, /^vae\b/, `message should name the program: ${line}`);
  assert.match(line, pattern);
}
