/**
 * The folder `vae collect` fills: one grey PNG per submission, named `<slug>-<NNNN>.png`,
 * numbered in the order the submissions arrived, and nothing else. Each file appears whole
 * or not at all: it is written as a dot-file in the folder, then hard-linked to its name,
 * which fails rather than replaces when the name is taken (by another process writing to the
 * same folder), and then the next number is tried.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { describeFsError } from '../io/atomic.js';
import type { SampleFrame } from './ink.js';

/** Any collected sample's name: a slug (lowercase letters, digits, single dashes), a dash, a number of 4 digits or more. */
const SAMPLE_NAME = /^([a-z0-9]+(?:-[a-z0-9]+)*)-(\d{4,})\.png$/;
/** The slug of a prompt with no letter or digit of a-z0-9 (a word in another script, say). */
export const FALLBACK_SLUG = 'sample';
/** A stored sample is a few kilobytes; anything far larger under such a name was not written here. */
const MAX_SAMPLE_FILE_BYTES = 1 << 20;

/** "Hello, World!" -> "hello-world": lowercased, each run of other characters one dash, none at the ends. */
export function slugOf(prompt: string): string {
  const slug = prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug === '' ? FALLBACK_SLUG : slug;
}

/** The slug and number of a collected sample's file name, or null for any other name. */
export function parseSampleName(name: string): { slug: string; number: number } | null {
  const m = SAMPLE_NAME.exec(name);
  return m === null ? null : { slug: m[1]!, number: Number(m[2]) };
}

export function sampleName(slug: string, number: number): string {
  return `${slug}-${String(number).padStart(4, '0')}.png`;
}

/** An 8-bit grey PNG of H x W bytes. */
export function encodeGreyPng(grey: Uint8Array, frame: SampleFrame): Buffer {
  if (grey.length !== frame.height * frame.width) throw new Error(`encodeGreyPng: ${grey.length} bytes for ${frame.height}x${frame.width}`);
  const image = { width: frame.width, height: frame.height, data: Buffer.from(grey.buffer, grey.byteOffset, grey.byteLength) };
  return PNG.sync.write(image as PNG, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

// File systems without hard links (some network and FUSE mounts) answer these; there a rename
// after a look stands in, which is only unsafe against another process writing the same name.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

export class SampleFolder {
  constructor(
    readonly dir: string,
    readonly slug: string,
  ) {}

  /** The collected samples (any slug), oldest first: by modification time, then by name. */
  list(): string[] {
    const found: Array<{ name: string; time: number }> = [];
    for (const name of this.names()) {
      if (parseSampleName(name) === null) continue;
      try {
        const stat = lstatSync(join(this.dir, name));
        if (stat.isFile()) found.push({ name, time: stat.mtimeMs });
      } catch {
        // Deleted between the listing and the look: not there.
      }
    }
    return found.sort((a, b) => a.time - b.time || compareNames(a.name, b.name)).map((f) => f.name);
  }

  /** 1 + the largest number of this folder's slug, so numbers follow submission order. */
  nextNumber(): number {
    let largest = 0;
    for (const name of this.names()) {
      const parsed = parseSampleName(name);
      if (parsed !== null && parsed.slug === this.slug) largest = Math.max(largest, parsed.number);
    }
    return largest + 1;
  }

  /** Writes one sample (grey bytes of `frame`); returns its file name. */
  save(grey: Uint8Array, frame: SampleFrame): string {
    const bytes = encodeGreyPng(grey, frame);
    const tmp = join(this.dir, `.${this.slug}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number | undefined;
    try {
      fd = openSync(tmp, 'wx', 0o666);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      for (let number = this.nextNumber(); ; number++) {
        const name = sampleName(this.slug, number);
        if (placeWithoutOverwrite(tmp, join(this.dir, name))) return name;
      }
    } catch (err) {
      throw new UserError(`cannot write a sample in ${this.dir}: ${describeFsError(err)}`, { cause: err });
    } finally {
      if (fd !== undefined) closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        // Renamed into place, or never created.
      }
    }
  }

  /** A sample's bytes, or null when `name` is not a collected sample's name or no such regular file is there. */
  read(name: string): Buffer | null {
    const path = this.pathOf(name);
    if (path === null) return null;
    return readFileSync(path);
  }

  /** Deletes one sample; false when `name` is not a collected sample's name or no such file is there. */
  remove(name: string): boolean {
    const path = this.pathOf(name);
    if (path === null) return false;
    try {
      unlinkSync(path);
      return true;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw new UserError(`cannot delete ${name}: ${describeFsError(err)}`, { cause: err });
    }
  }

  /** The folder's entries; a folder removed or made unreadable while serving is the user's to fix, said in one line. */
  private names(): string[] {
    try {
      return readdirSync(this.dir);
    } catch (err) {
      throw new UserError(`cannot read the sample folder ${this.dir}: ${describeFsError(err)}`, { cause: err });
    }
  }

  /** The path of a sample that is there: a plain name of the pattern, a regular file (no link, folder or pipe). */
  private pathOf(name: string): string | null {
    if (parseSampleName(name) === null) return null;
    const path = join(this.dir, name);
    try {
      const stat = lstatSync(path);
      return stat.isFile() && stat.size <= MAX_SAMPLE_FILE_BYTES ? path : null;
    } catch {
      return null;
    }
  }
}

/** Puts `tmp` at `target` unless `target` exists; false when it does. */
function placeWithoutOverwrite(tmp: string, target: string): boolean {
  try {
    linkSync(tmp, target);
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code ?? '')) throw err;
  }
  if (existsSync(target)) return false;
  renameSync(tmp, target);
  return true;
}

/** "hello-0002.png" before "hello-0010.png" and "hello-10000.png": numbers compare as numbers. */
function compareNames(a: string, b: string): number {
  const pa = parseSampleName(a)!;
  const pb = parseSampleName(b)!;
  return pa.slug < pb.slug ? -1 : pa.slug > pb.slug ? 1 : pa.number - pb.number;
}
