/**
 * Progress of a command's long stages (loading data, an importance-weighted estimate, drawing
 * figures, encoding a test set), in the style of the training progress: on a terminal one line
 * redrawn in place with a bar and an ETA, cleared when the stage ends; anywhere else exactly
 * one plain line per stage, begun when the stage starts and ended with its duration, so a log
 * shows at once what is running and afterwards how long it took.
 */
import { formatDuration, type ProgressSink } from './progress.js';

/** One running stage. */
export interface Stage {
  /** `done` of the stage's units are finished (ignored when the stage has no total). */
  update(done: number): void;
  /** The stage is over; `failed` ends its plain line with "failed" instead of the duration. */
  finish(failed?: boolean): void;
}

export interface StageOptions {
  /** Units of work the stage can count (e.g. 10000 images), if it can. */
  total?: number;
  /** What those units are: `images`. */
  unit?: string;
  /**
   * Whether a pipe gets the stage's line (default true). A stage that checks the user's input
   * (loading data for a model) is shown on a terminal only, where its line is cleared again:
   * a mistake found in it then stays the one line on stderr that it should be.
   */
  inPipe?: boolean;
}

/** Starts stages; what the library's long passes report to, so a caller may show them or not. */
export interface Stages {
  start(label: string, options?: StageOptions): Stage;
}

export interface StageProgressOptions {
  sink: ProgressSink;
  /** What each line starts with: `vae eval`. */
  command: string;
  /** Milliseconds; injectable so tests can drive a fake clock. */
  now?: () => number;
}

const REDRAW_MS = 100;
const BAR = 20;
const CLEAR_EOL = '\x1b[K';

/** Seconds as people read them in a log: `0.4 s`, `12.0 s`, then `m:ss`. */
function formatElapsed(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

export class StageProgress implements Stages {
  private readonly sink: ProgressSink;
  private readonly command: string;
  private readonly now: () => number;

  constructor(opts: StageProgressOptions) {
    this.sink = opts.sink;
    this.command = opts.command;
    this.now = opts.now ?? (() => performance.now());
  }

  start(label: string, options: StageOptions = {}): Stage {
    const { total, unit = '', inPipe = true } = options;
    const { sink, now } = this;
    const head = `${this.command}: ${label}`;
    const begun = now();
    let lastDraw = -Infinity;
    let drawn = false;
    let finished = false;
    const counted = total !== undefined && total > 0;
    const units = unit === '' ? '' : ` ${unit}`;

    const ttyLine = (done: number): string => {
      const width = Math.max(1, (sink.columns || 80) - 1);
      if (!counted) return `${head} ...`.slice(0, width);
      const d = Math.min(Math.max(0, done), total);
      const elapsed = (now() - begun) / 1000;
      const eta = d > 0 && elapsed > 0 ? formatDuration((elapsed / d) * (total - d)) : '?:??';
      const counts = `${String(d).padStart(String(total).length)}/${total}${units}`;
      const filled = Math.round((d / total) * BAR);
      const candidates = [
        `${head} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}]  ${counts}  ETA ${eta}`,
        `${head}  ${counts}  ETA ${eta}`,
        `${head}  ${counts}`,
      ];
      for (const line of candidates) if (line.length <= width) return line;
      return candidates[candidates.length - 1]!.slice(0, width);
    };
    const draw = (done: number): void => {
      drawn = true;
      lastDraw = now();
      sink.write('\r' + ttyLine(done) + CLEAR_EOL);
    };

    if (sink.isTTY) draw(0);
    else if (inPipe) sink.write(`${head}${counted ? `, ${total}${units}` : ''} ...`);

    return {
      update(done: number): void {
        if (finished || !sink.isTTY || !counted) return;
        if (done < total && now() - lastDraw < REDRAW_MS) return;
        draw(done);
      },
      finish(failed = false): void {
        if (finished) return;
        finished = true;
        if (sink.isTTY) {
          if (drawn) sink.write('\r' + CLEAR_EOL);
        } else if (inPipe) {
          sink.write(failed ? ' failed\n' : ` done in ${formatElapsed((now() - begun) / 1000)}\n`);
        }
      },
    };
  }

  /** Runs `work` as one stage, ending the stage however the work ends. */
  run<T>(label: string, work: (stage: Stage) => T, options?: StageOptions): T {
    const stage = this.start(label, options);
    try {
      const result = work(stage);
      stage.finish();
      return result;
    } catch (err) {
      stage.finish(true);
      throw err;
    }
  }
}

/** Progress for a command: on stderr, which keeps stdout for results (`vae eval --json`). */
export function commandProgress(command: string): StageProgress {
  return new StageProgress({ sink: process.stderr, command });
}
