/**
 * The run folder, owned by one run at a time: created, locked, tidied of what killed runs
 * leave behind, and released on every way out. What is in it is described in the README
 * (checkpoint, metrics.jsonl, latent snapshots, config.json, figures, report.html).
 */
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { CHECKPOINT_FILE } from '../train/checkpoint.js';
import type { RunConfig } from '../train/config.js';
import { METRICS_FILE } from '../train/metrics-log.js';
import { SNAPSHOTS_FILE } from '../train/snapshots.js';
import { acquireLock, processAlive, type RunLock } from './lock.js';

export const CONFIG_FILE = 'config.json';
export const REPORT_FILE = 'report.html';
/** What a run writes before its first checkpoint: all of it is the run's, and is redone on a restart. */
export const PARTIAL_RUN_FILES = [METRICS_FILE, SNAPSHOTS_FILE, CONFIG_FILE] as const;

/** The temporary files of atomic writes (src/io/atomic.ts): `.<name>.<pid>.<random>.tmp`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

export interface RunFolder {
  readonly dir: string;
  /** Writes config.json, the run's settings for people. */
  writeConfig(config: RunConfig): void;
  /** Gives the folder up; it is also given up when the process exits any other way. */
  release(): void;
}

/**
 * Creates the folder if need be and takes its lock; throws a one-line UserError when another
 * process holds it. Then removes the temporary files that killed writers left behind.
 */
export function openRunFolder(dir: string, command: string, notice: (line: string) => void): RunFolder {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${command}: ${dir} is a file, not a run folder`);
  try {
    ensureWritableDir(dir);
  } catch (err) {
    // Two runs started together may both create the folder; the one that lost that race goes on to the lock.
    if (!(existsSync(dir) && statSync(dir).isDirectory())) throw err;
    ensureWritableDir(dir);
  }
  const lock: RunLock = acquireLock(dir, command, notice);
  try {
    removeStrayTemps(dir);
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    dir,
    writeConfig: (config) => writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n'),
    release: () => lock.release(),
  };
}

/** Temporary files whose writer is no longer running; a live writer's (say `vae report`'s) are left alone. */
export function removeStrayTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = TEMP_FILE.exec(name);
    if (m === null || processAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // Someone else tidied it first.
    }
  }
  return removed;
}

/** The files of a run that stopped before its first checkpoint, present in `dir`. */
export function partialRunFiles(dir: string): string[] {
  if (existsSync(join(dir, CHECKPOINT_FILE))) return [];
  return PARTIAL_RUN_FILES.filter((f) => existsSync(join(dir, f)));
}

export function clearPartialRun(dir: string, files: readonly string[]): void {
  for (const f of files) {
    try {
      unlinkSync(join(dir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot remove ${join(dir, f)}: ${(err as Error).message}`);
    }
  }
}

/** A run folder name from the local time, runs/2026-11-25T07-05-09, made unique with -2, -3... */
export function freshRunDir(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const base = `runs/${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}
