import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a parent path is not a folder',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** A short, single-line reason for a file system error, for user-facing messages. */
export function describeFsError(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined && code in REASONS) return REASONS[code]!;
  if (code !== undefined) return code;
  // Messages from non-fs errors can span lines; the CLI promises one line.
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? 'unknown error';
}

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  // writeSync may write fewer bytes than asked (e.g. on pipes or full-ish disks).
  while (off < buf.length) {
    off += writeSync(fd, buf, off, buf.length - off);
  }
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

// Some platforms (Windows, some network file systems) cannot open or fsync a
// folder; the rename is still as durable as that platform allows, so carry on.
const DIR_FSYNC_IGNORABLE = new Set(['EINVAL', 'EISDIR', 'EBADF', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP']);

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_IGNORABLE.has(errorCode(err) ?? '')) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replace `path` with `data` so that readers (and a crash at any moment) see
 * either the old content or the complete new content, never a partial file.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  // Same folder as the target: rename is only atomic within one file system.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  let renamed = false;
  try {
    fd = openSync(tmp, 'wx', 0o666);
    writeAll(fd, toBytes(data));
    // Without this the rename can reach disk before the data, leaving an empty file after a crash.
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    renamed = true;
    fsyncDir(dir);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // The write error is the one worth reporting.
      }
    }
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // Usually ENOENT because the temp file was never created.
      }
    }
    throw new UserError(`cannot write ${path}: ${describeFsError(err)}`, { cause: err });
  }
}

/**
 * mkdir -p, one level at a time from the nearest existing ancestor. Node's recursive mkdir
 * can spin forever on pseudo file systems such as /proc, which answer ENOENT to every
 * attempt; creating each missing level once fails cleanly there instead.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  if (existsSync(current) && !statSync(current).isDirectory()) {
    throw Object.assign(new Error(`${current} is not a folder`), { code: 'EEXIST' });
  }
  for (const level of missing.reverse()) mkdirSync(level);
}

/** Creates the folder a file is about to be written into (mkdir -p), with a clear error. */
export function ensureParentDir(path: string): void {
  const dir = dirname(path);
  try {
    makeDirs(dir);
  } catch (err) {
    // mkdir -p through an existing regular file reports EEXIST, which reads oddly.
    const reason = errorCode(err) === 'EEXIST' ? `${dir} is not a folder` : describeFsError(err);
    throw new UserError(`cannot write ${path}: ${reason}`, { cause: err });
  }
}

/**
 * Create `dir` (and parents) and prove we can create files in it, so a long
 * training run fails at startup rather than when it first saves a checkpoint.
 */
export function ensureWritableDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    // mkdir -p on an existing regular file reports EEXIST, which reads oddly.
    const reason = errorCode(err) === 'EEXIST' ? 'not a folder' : describeFsError(err);
    throw new UserError(`cannot write to output folder ${dir}: ${reason}`, { cause: err });
  }
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new UserError(`cannot write to output folder ${dir}: ${describeFsError(err)}`, { cause: err });
  }
  if (!isDir) throw new UserError(`cannot write to output folder ${dir}: not a folder`);

  const probe = join(dir, `.write-probe.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, 'wx', 0o666);
    closeSync(fd);
    fd = undefined;
    unlinkSync(probe);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Report the original failure.
      }
    }
    try {
      unlinkSync(probe);
    } catch {
      // Never created, or already gone.
    }
    throw new UserError(`cannot write to output folder ${dir}: ${describeFsError(err)}`, { cause: err });
  }
}

/**
 * Append one line and fsync, so a metrics log survives a crash up to the last
 * completed line. O_APPEND keeps concurrent appenders from overwriting each other.
 */
export function appendLineDurable(path: string, line: string): void {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (body.includes('\n')) throw new RangeError('appendLineDurable: line must not contain a newline');
  // One write call so the line lands as a unit under O_APPEND.
  const bytes = new TextEncoder().encode(body + '\n');
  let fd: number | undefined;
  try {
    fd = openSync(path, 'a', 0o666);
    writeAll(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Report the original failure.
      }
    }
    throw new UserError(`cannot write ${path}: ${describeFsError(err)}`, { cause: err });
  }
}
