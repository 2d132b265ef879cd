/**
 * A folder dataset is whatever the folder holds when it is read, so a run keeps a record of
 * it (in its checkpoint) and a resumed run checks the folder still holds the same images:
 * a class folder added, or files added or removed, would silently change the train/test
 * split and the data under a run that is meant to continue as if never stopped.
 */
import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import { UserError } from '../errors.js';
import type { DatasetRecord } from './dataset.js';

function digest(lines: string[]): string {
  const hash = createHash('sha256');
  for (const line of [...lines].sort()) hash.update(line + '\n');
  return hash.digest('hex');
}

/** Relative paths in one spelling on every system, so a record travels with a run folder. */
export function relativePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

export function folderRecord(dir: string, used: { path: string; label: number }[], testPaths: string[], skipped: number): DatasetRecord {
  const rel = used.map((u) => ({ path: relativePath(dir, u.path), label: u.label }));
  const classes = [...new Set(rel.map((r) => (r.path.includes('/') ? r.path.slice(0, r.path.indexOf('/')) : '')).filter((c) => c !== ''))];
  return {
    images: used.length,
    classes,
    files: digest(rel.map((r) => `${r.label}\t${r.path}`)),
    test: digest(testPaths.map((p) => relativePath(dir, p))),
    skipped,
  };
}

/** Whether a stored value is a DatasetRecord (checkpoints come from disk). */
export function isDatasetRecord(v: unknown): v is DatasetRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  const sha = (x: unknown): boolean => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
  return count(r.images) && count(r.skipped) && sha(r.files) && sha(r.test) && Array.isArray(r.classes) && r.classes.every((c) => typeof c === 'string');
}

/**
 * Refuses to go on with data that differ from what a run was started on. `recorded` is
 * undefined for runs from before records were kept, and for datasets that cannot change
 * (the bundled MNIST, IDX files, whose shapes are checked anyway); then there is nothing to check.
 */
export function checkDatasetUnchanged(
  recorded: DatasetRecord | undefined,
  loaded: DatasetRecord | undefined,
  spec: string,
  consequence = 'resuming would train and test on different images. Restore the folder, or start a new run',
): void {
  if (recorded === undefined) return;
  if (loaded === undefined) throw new UserError(`the run was trained on ${spec} as an image folder, but it no longer loads as one`);
  if (recorded.files === loaded.files && recorded.test === loaded.test) return;
  const added = loaded.classes.filter((c) => !recorded.classes.includes(c));
  const removed = recorded.classes.filter((c) => !loaded.classes.includes(c));
  const what = [
    `${recorded.images} images then, ${loaded.images} now`,
    ...(added.length > 0 ? [`class folder${added.length === 1 ? '' : 's'} ${added.join(', ')} added`] : []),
    ...(removed.length > 0 ? [`class folder${removed.length === 1 ? '' : 's'} ${removed.join(', ')} removed`] : []),
    ...(recorded.files === loaded.files ? ['the same files split differently'] : []),
  ].join('; ');
  throw new UserError(
    `${spec} has changed since the run began (${what}); ${consequence}`,
  );
}
