/** Runs the compiled `vae` CLI in a child process, for the tests of run folders (locks, recovery). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIdxFolder } from './tiny.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * Generated IDX data, written once per test process: these tests are about run folders, not
 * digits, and reading all of MNIST in every child process was most of their time.
 */
const TINY_DATA = writeIdxFolder(mkdtempSync(join(tmpdir(), 'vae-tiny-data-')), { train: 500, test: 100 });
process.on('exit', () => rmSync(TINY_DATA, { recursive: true, force: true }));

/** Tiny data and a small network: a few hundred images, 4 steps an epoch. */
export const TINY_MODEL = ['--dataset', `idx:${TINY_DATA}`, '--train-size', '500', '--test-size', '100', '--hidden', '32', '--latent', '2'];
/** The smallest run worth the name: TINY_MODEL for one epoch. */
export const TINY_RUN = [...TINY_MODEL, '--epochs', '1'];

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Everything printed so far, stdout then stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  exit: Promise<Finished>;
}

export function startVae(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    stdout += c;
    for (const w of [...waiters]) {
      const m = w.pattern.exec(stdout);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (c: string) => (stderr += c));
  const exit = new Promise<Finished>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const m = pattern.exec(stdout);
        if (m) return resolve(m);
        waiters.push({ pattern, resolve });
        void exit.then((f) => reject(new Error(`vae ${args.join(' ')} ended (${f.status}) before printing ${pattern}:\n${f.stdout}\n${f.stderr}`)));
      }),
    exit,
  };
}

export function runVae(args: string[], cwd: string): Promise<Finished> {
  return startVae(args, cwd).exit;
}
