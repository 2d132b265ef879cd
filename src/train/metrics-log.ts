/**
 * metrics.jsonl: one JSON object per completed epoch, appended durably. On resume the log is
 * cut back to the checkpoint's epoch, so a run killed between writing a line and writing
 * its checkpoint continues into the same log an uninterrupted run would have written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendLineDurable, writeFileAtomic } from '../io/atomic.js';
import type { EpochMetrics } from './trainer.js';

export const METRICS_FILE = 'metrics.jsonl';

export function appendMetrics(dir: string, metrics: EpochMetrics): void {
  appendLineDurable(join(dir, METRICS_FILE), JSON.stringify(metrics));
}

export function readMetrics(dir: string): EpochMetrics[] {
  const path = join(dir, METRICS_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as EpochMetrics];
      } catch {
        return []; // a torn last line from a killed run
      }
    });
}

/** Keeps only the lines of epochs up to `epoch`. */
export function truncateMetrics(dir: string, epoch: number): void {
  const kept = readMetrics(dir).filter((m) => m.epoch <= epoch);
  writeFileAtomic(join(dir, METRICS_FILE), kept.map((m) => JSON.stringify(m) + '\n').join(''));
}
