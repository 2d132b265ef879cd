/**
 * What a page server refuses to wait for: a checkpoint that is a FIFO is refused at once
 * instead of blocking the server on its read; a client that stops reading a /files/ download
 * or never finishes its request headers is dropped after a bounded time, so it holds at most
 * one file handle that long; the live feed (SSE), quiet for as long as an epoch takes, is not.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../src/errors.js';
import { RunSource } from '../src/server/run-source.js';
import { tempRoot } from './support/tiny.js';

const root = tempRoot('slow-clients');
after(() => rmSync(root, { recursive: true, force: true }));

test('a checkpoint that is a FIFO is refused with one line, not read (which would block the server)', () => {
  const fifo = join(root, 'checkpoint.safetensors');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => new RunSource(fifo, root).model(), (err: unknown) => err instanceof UserError && /checkpoint .* is a FIFO, not a regular file/.test(err.message));
});
