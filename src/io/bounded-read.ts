/**
 * Reading input files without trusting them: only regular files are read (a FIFO would block
 * forever, /dev/zero never ends), and the size is known, and can be checked against what
 * the file's own header declares, before any memory is spent on its contents.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An open regular file of known size. Close it when done. */
export class RegularFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  /**
   * Opens `path` for reading, refusing anything but a regular file. `what` names the file
   * in messages ("IDX file", "image", ...).
   */
  static open(path: string, what: string): RegularFile {
    let fd: number;
    try {
      // Non-blocking, so that opening a FIFO returns at once and fstat can refuse it; a
      // stat before the open would race with the file being swapped.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UserError(`no such file: ${path}`);
      if (code === 'EISDIR') throw new UserError(`expected a file but found a folder: ${path}`);
      throw new UserError(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      if (stat.isDirectory()) throw new UserError(`expected a file but found a folder: ${path}`);
      throw new UserError(`cannot read ${what} ${path}: it is ${kindOf(stat)}, not a regular file`);
    }
    return new RegularFile(path, fd, stat.size);
  }

  /** `length` bytes from `position` (fewer only at the end of the file). */
  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.size - position));
    const out = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      let got: number;
      try {
        got = readSync(this.fd, out, done, n - done, position + done);
      } catch (err) {
        throw new UserError(`cannot read ${this.path}: ${(err as Error).message}`);
      }
      // The file shrank under us: what was read is all there is.
      if (got === 0) return out.subarray(0, done);
      done += got;
    }
    return out;
  }

  readAll(): Buffer {
    return this.read(0, this.size);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The whole of a regular file, refused unread when it is larger than `maxBytes`.
 */
export function readRegularFile(path: string, what: string, maxBytes = 2 ** 31 - 1): Buffer {
  const file = RegularFile.open(path, what);
  try {
    if (file.size > maxBytes) throw new UserError(`${what} ${path} is ${file.size} bytes, more than the ${maxBytes} a ${what} may have`);
    return file.readAll();
  } finally {
    file.close();
  }
}
