/**
 * A quiet reporter for Node's test runner, for a person at a terminal and for CI:
 *
 *   node --test --test-reporter=./test/support/reporter.mjs dist/test/
 *
 * - one line per test file as it ends: a mark, the file and its time;
 * - every failure in full (the test's path, the error with its stack), and the output the
 *   failing file wrote to stdout/stderr; the output of passing files is not shown;
 * - a summary: skipped tests with their reasons, the slowest files, where the browser
 *   screenshots of this run were written;
 * - Node's own closing lines ("# tests N", "# pass N", "# fail N", ...), then one plain line
 *   "N passed, N failed, N skipped" alone on the last line, which is what CI reads.
 *
 * Plain JavaScript (not compiled) so that the runner can load it before anything is built.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspect } from 'node:util';

const SCREENSHOTS_DIR = join('dist', 'screenshots');
const SLOWEST = 5;

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function shortName(file) {
  return file ? relative(process.cwd(), file) : '(no file)';
}

/** The failure worth showing: the test's own error, not the wrapper the runner puts around it. */
function describeError(error) {
  const inner = error?.cause ?? error;
  return inspect(inner, { depth: 4, colors: false });
}

export default async function* quietReporter(source) {
  const started = Date.now();
  /** file -> { tests, failed, skipped, output[], names[] (the path of test names by nesting) } */
  const files = new Map();
  const fileOf = (file) => {
    const key = file ?? '';
    let f = files.get(key);
    if (f === undefined) {
      f = { tests: 0, failed: 0, fileFailed: false, output: [], names: [], durationMs: null };
      files.set(key, f);
    }
    return f;
  };
  const failures = [];
  const skipped = [];
  const closing = [];
  let passed = 0;
  let failed = 0;
  let skippedCount = 0;

  for await (const event of source) {
    const data = event.data ?? {};
    switch (event.type) {
      case 'test:start': {
        const f = fileOf(data.file);
        f.names.length = data.nesting;
        f.names[data.nesting] = data.name;
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        fileOf(data.file).output.push(data.message);
        break;
      case 'test:pass':
      case 'test:fail': {
        // Reported in order, a file at a time, possibly after the file has ended: the place to
        // learn each test's path for failures and skips. Counting happens on test:complete.
        const f = fileOf(data.file);
        const isSuite = data.details?.type === 'suite';
        const isFile = data.name === data.file;
        const path = [...f.names.slice(0, data.nesting), data.name].filter((n) => n !== undefined && n !== data.file).join(' > ');
        if (event.type === 'test:fail') {
          const kind = data.details?.error?.failureType;
          // A suite fails when a test in it fails, a test is cancelled when its suite's hook fails:
          // the cause is reported where it happened, once.
          if (kind !== 'subtestsFailed' && kind !== 'cancelledByParent') {
            failures.push({ file: data.file, path: isFile ? '(the file itself)' : path, error: describeError(data.details?.error) });
          }
        } else if (!isSuite && !isFile) {
          if (data.skip !== undefined && data.skip !== false) {
            skipped.push({ file: data.file, path, reason: data.skip === true ? '' : String(data.skip) });
          } else if (data.todo !== undefined && data.todo !== false) {
            skipped.push({ file: data.file, path, reason: `todo${data.todo === true ? '' : `: ${data.todo}`}` });
          }
        }
        break;
      }
      case 'test:complete': {
        // Emitted as each test ends, in the order they run.
        const f = fileOf(data.file);
        const ok = data.details?.passed !== false;
        if (data.file !== undefined && data.name === data.file) {
          // The file's own verdict is the runner's; its tests' events may still be on their way,
          // so the counts are given in the summary, not on this line.
          f.durationMs = data.details?.duration_ms ?? 0;
          f.fileFailed = !ok;
          yield `${ok ? '✔' : '✖'} ${shortName(data.file)}  ${seconds(f.durationMs)}\n`;
        } else if (data.details?.type !== 'suite') {
          f.tests++;
          if (!ok) {
            f.failed++;
            failed++;
          } else if (data.skip !== undefined && data.skip !== false) {
            skippedCount++;
          } else if (data.todo === undefined || data.todo === false) {
            passed++;
          }
        }
        break;
      }
      case 'test:diagnostic':
        // The runner's closing counts come without a file; a test's own diagnostics carry one.
        if (data.file === undefined && data.nesting === 0) closing.push(`# ${data.message}`);
        break;
      default:
        break;
    }
  }

  // A file that failed outside any test (it did not load, or a hook broke) counts as one failure.
  for (const f of files.values()) {
    if (f.fileFailed && f.failed === 0) {
      f.failed++;
      failed++;
    }
  }
  const out = [];
  if (failures.length > 0) {
    out.push('', `failures (${failures.length}):`);
    for (const [i, f] of failures.entries()) {
      out.push('', `${i + 1}) ${shortName(f.file)}: ${f.path}`, f.error.replace(/^/gm, '   '));
    }
    for (const [file, f] of files) {
      if (f.failed > 0 && f.output.length > 0) {
        out.push('', `output of ${shortName(file)}:`, f.output.join('').trimEnd().replace(/^/gm, '   '));
      }
    }
  }
  if (skipped.length > 0) {
    out.push('', 'skipped:');
    for (const s of skipped) out.push(`  ${shortName(s.file)}: ${s.path}${s.reason ? ` (${s.reason})` : ''}`);
  }
  const timed = [...files.entries()].filter(([, f]) => f.durationMs !== null).sort((a, b) => b[1].durationMs - a[1].durationMs);
  if (timed.length > 0) {
    out.push('', 'slowest files:');
    for (const [file, f] of timed.slice(0, SLOWEST)) out.push(`  ${seconds(f.durationMs).padStart(8)}  ${shortName(file)}  (${f.tests} test${f.tests === 1 ? '' : 's'})`);
  }
  if (existsSync(SCREENSHOTS_DIR)) {
    const fresh = readdirSync(SCREENSHOTS_DIR).filter((n) => statSync(join(SCREENSHOTS_DIR, n)).mtimeMs >= started - 1000);
    if (fresh.length > 0) out.push('', `browser screenshots: ${fresh.length} written to ${SCREENSHOTS_DIR}/ (${fresh.sort().join(', ')})`);
  }
  out.push('', ...closing, `${passed} passed, ${failed} failed, ${skippedCount} skipped`);
  yield out.join('\n') + '\n';
}
