/**
 * The run folder's lock: one writer at a time. The lock is a file, `run.lock`, holding the
 * writer's process id and start time. It is made whole in a temporary file and then linked to
 * its name, and link(2) fails when the name exists, so exactly one of several writers started
 * together gets it and nobody ever reads a half-written lock. A lock whose process is gone (a
 * run killed with -9, a machine that lost power) is taken over, under a second short-lived
 * lock so that two takers cannot both win.
 */
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { describeFsError } from '../io/atomic.js';

export const LOCK_FILE = 'run.lock';
const TAKEOVER_FILE = 'run.lock.takeover';
/** A takeover takes milliseconds; one older than this was left by a process that died in it. */
const TAKEOVER_STALE_MS = 10_000;

export interface LockHolder {
  pid: number;
  /** When the holder took the lock, ms since the epoch. */
  started: number;
  command: string;
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock if this process still holds it; safe to call more than once. */
  release(): void;
}

/** True when a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder written in a lock file, or null when the file is gone or not a lock of ours. */
export function readLock(dir: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(join(dir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.started === 'number') return { pid: h.pid, started: h.started, command: String(h.command ?? '') };
  } catch {
    // Unparsable: treated as a lock of a dead process below.
  }
  return { pid: 0, started: 0, command: '' };
}

function describeHolder(dir: string, h: LockHolder): string {
  const since = h.started > 0 ? ` since ${new Date(h.started).toISOString().replace('T', ' ').slice(0, 19)} UTC` : '';
  return `${dir} is in use by process ${h.pid}${h.command ? ` (${h.command})` : ''}${since}; wait for it to end, or stop it`;
}

/** Refuses early, before anything expensive, when a live process holds the folder. */
export function assertNotLocked(dir: string, command: string): void {
  const holder = readLock(dir);
  if (holder !== null && processAlive(holder.pid)) throw new UserError(`${command}: ${describeHolder(dir, holder)}`);
}

function linkNew(dir: string, name: string, body: string): boolean {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, join(dir, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Takes the folder's lock or throws a one-line UserError naming the process that holds it.
 * `notice` hears the one line said when a dead process's lock is taken over.
 */
export function acquireLock(dir: string, command: string, notice: (line: string) => void): RunLock {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, started: Date.now(), command };
  const body = JSON.stringify(me) + '\n';
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (linkNew(dir, LOCK_FILE, body)) return held(path);
      const holder = readLock(dir);
      if (holder === null) continue; // released between our link and our read: try again
      if (processAlive(holder.pid)) throw new UserError(`${command}: ${describeHolder(dir, holder)}`);
      // The holder is dead. Take its lock over, one taker at a time.
      const takeover = join(dir, TAKEOVER_FILE);
      if (!linkNew(dir, TAKEOVER_FILE, body)) {
        let age = 0;
        try {
          age = Date.now() - statSync(takeover).mtimeMs;
        } catch {
          continue;
        }
        if (age > TAKEOVER_STALE_MS) removeQuietly(takeover);
        continue;
      }
      try {
        const again = readLock(dir);
        if (again !== null && again.pid === holder.pid && again.started === holder.started) {
          removeQuietly(path);
          if (linkNew(dir, LOCK_FILE, body)) {
            notice(`${command}: took over the lock of ${dir} from process ${holder.pid}, which is no longer running`);
            return held(path);
          }
        }
      } finally {
        removeQuietly(takeover);
      }
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${command}: cannot lock ${dir}: ${describeFsError(err)}`, { cause: err });
  }
  const holder = readLock(dir);
  throw new UserError(`${command}: ${holder === null ? `cannot lock ${dir}` : describeHolder(dir, holder)}`);
}

function held(path: string): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never remove one a later process took over.
    try {
      const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
      if (h.pid === process.pid) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  // Every way out of the process, including process.exit from a second Ctrl-C, passes here.
  process.on('exit', release);
  return { path, release };
}
