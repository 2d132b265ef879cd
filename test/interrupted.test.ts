/**
 * A server that waits for Ctrl-C stops waiting on the first SIGINT or SIGTERM and leaves no
 * handler behind, so a second Ctrl-C ends the process as usual.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untilInterrupted } from '../src/server/interrupted.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} ends the wait and removes the handlers`, async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    let ended = false;
    const waiting = untilInterrupted().then(() => (ended = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, false, 'it waits until a signal comes');
    assert.equal(process.listenerCount('SIGINT'), before.int + 1);
    process.emit(signal);
    await waiting;
    assert.deepEqual({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }, before);
  });
}
