/** metrics.jsonl: a line per epoch, appended durably before the epoch's checkpoint (src/train/metrics-log.ts). */
import { appendMetrics } from '../train/metrics-log.js';
import type { RunListener } from './listener.js';

export function metricsLogListener(dir: string): RunListener {
  return { epoch: (m) => appendMetrics(dir, m) };
}
