/**
 * What a page server refuses to wait for: a checkpoint that is a FIFO is refused at once
 * instead of blocking the server on its read; a client that stops reading a /files/ download
 * or never finishes its request headers is dropped after a bounded time, so it holds at most
 * one file handle that long; the live feed (SSE), quiet for as long as an epoch takes, is not.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../src/errors.js';
import { RunSource } from '../src/server/run-source.js';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { EventHub } from '../src/server/event-hub.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { tempRoot } from './support/tiny.js';

const root = tempRoot('slow-clients');
after(() => rmSync(root, { recursive: true, force: true }));

test('a checkpoint that is a FIFO is refused with one line, not read (which would block the server)', () => {
  const fifo = join(root, 'checkpoint.safetensors');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => new RunSource(fifo, root).model(), (err: unknown) => err instanceof UserError && /checkpoint .* is a FIFO, not a regular file/.test(err.message));
});

/** A server on the run folder `root`, with bounds short enough for a test. */
async function slowBoundServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const hub = new EventHub();
  const server = createExplorerServer({
    run: new RunSource(join(root, 'no-checkpoint-yet.safetensors'), root),
    web: loadWebApp(),
    live: { hub, stop: () => true },
    timeouts: { headers: 300, request: 600, fileIdle: 300 },
  });
  const url = new URL(await listen(server, '127.0.0.1', 0));
  return { port: Number(url.port), close: () => shutdown(server, hub) };
}

/** Resolves to the milliseconds until the server closes `socket`, or to null if it is still open after `waitMs`. */
function closedWithin(socket: Socket, waitMs: number): Promise<number | null> {
  const start = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
    });
  });
}

/** The test process's descriptors open on `path`: the in-process server's file handles. */
function handlesOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed while listed
    }
  }
  return n;
}

test('a client that never reads a big /files/ download is dropped, and the file handle closed, within the bound; the live feed is not', async (t) => {
  // Sparse: far more than the loopback socket buffers hold, and no disk spent on it.
  const big = join(root, 'big.safetensors');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 256 * 1024 * 1024);
  closeSync(fd);
  const { port, close } = await slowBoundServer();
  t.after(close);

  const feed = connect(port, '127.0.0.1');
  feed.on('data', () => {}); // read it, as a page does
  feed.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
  const feedClosed = closedWithin(feed, 2500);

  const stalled = connect(port, '127.0.0.1');
  stalled.write(`GET /files/big.safetensors HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  stalled.pause(); // never reads: the server's writes back up and stop
  // Waited for rather than slept on: on a busy machine the server may take a while to open the file.
  const opening = performance.now();
  while (handlesOn(big) === 0 && performance.now() - opening < 3000) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(handlesOn(big), 1, 'the download is under way, on one file handle');
  // A paused socket hears of its end only once it reads, so the server's side is watched: its handle on the file.
  const start = performance.now();
  while (handlesOn(big) > 0 && performance.now() - start < 2000) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(handlesOn(big), 0, 'the stalled download still held its file handle after 2 s with a 300 ms bound');
  // Read now, it ends short of the file: the server dropped it, it did not finish it.
  let received = 0;
  stalled.on('data', (chunk: Buffer) => (received += chunk.length));
  stalled.resume();
  assert.ok((await closedWithin(stalled, 5000)) !== null, 'the server did not end the dropped connection');
  assert.ok(received < 256 * 1024 * 1024, `received ${received} bytes`);

  assert.equal(await feedClosed, null, 'the live feed was dropped, though the client reads it');
  feed.destroy();
});

test('a client that never finishes its request headers is dropped within the bound', async (t) => {
  const { port, close } = await slowBoundServer();
  t.after(close);
  const socket = connect(port, '127.0.0.1');
  socket.on('data', () => {});
  socket.write(`GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
  const ms = await closedWithin(socket, 3000);
  assert.ok(ms !== null, 'still connected after 3 s with a 300 ms bound on the headers');
  socket.destroy();
});
