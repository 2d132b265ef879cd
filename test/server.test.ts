/**
 * The explorer's HTTP server, on a real socket: only its own assets and the run's files by
 * plain name; every spelling of a path outside them is 404; bodies are limited; the model
 * and encodings it hands the page match the checkpoint; many clients at once, and clients
 * that vanish mid-stream, do not disturb each other.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Tensor, noGrad } from '../src/engine/tensor.js';
import { loadDataset } from '../src/data/source.js';
import { runData, type RunConfig } from '../src/train/config.js';
import { CHECKPOINT_FILE, createTrainingState, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { createExplorerServer, guardOf, listen, shutdown, MAX_BODY_BYTES } from '../src/server/app.js';
import { EventHub } from '../src/server/event-hub.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp, WEB_DIR } from '../src/server/static-assets.js';
import { decodeModelPayload } from '../src/server/model-payload.js';
import { nameUnder, plainPath } from '../src/server/request-path.js';
import { openEventStream, type EventStream } from './support/sse.js';
import { tinyConfig } from './support/tiny.js';
import { datasetFloats } from '../src/data/dataset.js';

let root: string;
let runDir: string;
let server: Server;
let base: URL;
const hub = new EventHub(() => [{ type: 'hello', data: { n: 0 } }]);
let stopAnswers: boolean[] = [];

/** The shared tiny run, its test split set to 300 images: the encodings the server hands out. */
function serverConfig(): RunConfig {
  const config = tinyConfig();
  config.training.testSize = 300;
  return config;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-server-test-'));
  runDir = join(root, 'run');
  mkdirSync(runDir);
  const state = createTrainingState(serverConfig());
  state.epoch = 1;
  saveCheckpoint(runDir, state);
  writeFileSync(join(runDir, 'metrics.jsonl'), '{"epoch":1}\n');
  writeFileSync(join(runDir, '.metrics.jsonl.123.tmp'), 'half-written');
  writeFileSync(join(root, 'secret.json'), '{"secret":true}');
  symlinkSync(join(root, 'secret.json'), join(runDir, 'linked.json'));
  server = createExplorerServer({
    run: new RunSource(join(runDir, CHECKPOINT_FILE), runDir),
    web: loadWebApp(),
    live: { hub, stop: () => stopAnswers.shift() ?? false },
  });
  base = new URL(await listen(server, '127.0.0.1', 0));
});

after(async () => {
  await shutdown(server, hub);
  rmSync(root, { recursive: true, force: true });
});

/** Sends exact bytes, so that no client library normalizes the path first; resolves to the status code. */
function raw(text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname, () => socket.write(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error(`no status line in ${JSON.stringify(data)}`)));
  });
}

const rawGet = (target: string): Promise<number> => raw(`GET ${target} HTTP/1.1\r\nHost: localhost:${base.port}\r\nConnection: close\r\n\r\n`);
/** What the live page's stop button sends besides the request itself (guard.ts). */
const pageHeaders = (): Record<string, string> => ({ 'x-vae-token': guardOf(server).token, origin: base.origin });

function fetchBytes(path: string, init: RequestInit = {}): Promise<{ status: number; body: Buffer; type: string | null }> {
  return fetch(new URL(path, base), init).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type') }));
}

describe('request paths', () => {
  test('only plain absolute paths pass; every escape, dot segment or backslash is refused', () => {
    assert.equal(plainPath('/files/metrics.jsonl?x=1'), '/files/metrics.jsonl');
    assert.equal(plainPath('/'), '/');
    for (const bad of ['/files/../x', '/files/%2e%2e/x', '/a%2fb', '/a\\b', '//etc/passwd', '/./x', 'http://host/x', 'x', '', undefined]) {
      assert.equal(plainPath(bad), null, String(bad));
    }
    assert.equal(nameUnder('/files/metrics.jsonl', '/files/'), 'metrics.jsonl');
    for (const bad of ['/files/', '/files/.hidden', '/files/a/b', '/files/..', '/files/a..b', '/filesx/a', '/files/a b']) {
      assert.equal(nameUnder(bad, '/files/'), null, bad);
    }
  });
});

describe('the server', () => {
  test('serves the pages, the built scripts and the run files it names', async () => {
    const page = await fetchBytes('/');
    assert.equal(page.status, 200);
    assert.match(page.type ?? '', /text\/html/);
    assert.match(page.body.toString(), /<script type="module" src="\/assets\/explorer\.js">/);
    const script = await fetchBytes('/assets/explorer.js');
    assert.equal(script.status, 200);
    assert.deepEqual(script.body, readFileSync(join(WEB_DIR, 'assets', 'explorer.js')));
    assert.equal((await fetchBytes('/live')).status, 200);
    const metrics = await fetchBytes('/files/metrics.jsonl');
    assert.equal(metrics.status, 200);
    assert.equal(metrics.body.toString(), '{"epoch":1}\n');
    const checkpoint = await fetchBytes('/files/checkpoint.safetensors');
    assert.deepEqual(checkpoint.body, readFileSync(join(runDir, CHECKPOINT_FILE)));
  });

  test('the page bundles import no Node built-ins', () => {
    for (const name of ['explorer.js', 'live.js']) {
      const code = readFileSync(join(WEB_DIR, 'assets', name), 'utf8');
      assert.ok(code.length > 1000, name);
      assert.doesNotMatch(code, /["']node:|\brequire\(/, name);
    }
  });

  test('traversal attempts, hidden files, links out of the run and unknown routes get 404', async () => {
    const targets = [
      '/files/../secret.json',
      '/files/..%2fsecret.json',
      '/files/%2e%2e/secret.json',
      '/files/%2E%2E%2Fsecret.json',
      '/files/..%5csecret.json',
      '/files/..\\secret.json',
      '/assets/../../../package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      `/files/${join(root, 'secret.json')}`,
      '/files//etc/passwd',
      '//etc/passwd',
      '/files/.metrics.jsonl.123.tmp',
      '/files/linked.json',
      '/files/C:\\Windows\\win.ini',
      'http://localhost/files/../secret.json',
      '/files/nonexistent.json',
      '/assets/nope.js',
      '/nope',
      '/api',
      '/api/encodings/extra',
      '/index.html/..',
      '/%2e%2e/%2e%2e/etc/passwd',
    ];
    for (const target of targets) assert.equal(await rawGet(target), 404, target);
  });

  test('wrong methods get 405; a body over the limit gets 413, declared or streamed', async () => {
    assert.equal((await fetchBytes('/api/info', { method: 'POST', headers: pageHeaders() })).status, 405);
    assert.equal((await fetchBytes('/api/stop')).status, 405);
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    assert.equal((await fetchBytes('/api/stop', { method: 'POST', body: big, headers: pageHeaders() })).status, 413);
    assert.equal(await raw(`GET /api/info HTTP/1.1\r\nHost: ${base.host}\r\nContent-Length: 100000000\r\n\r\n`), 413);
    // A chunked body declares no length: it is counted as it arrives.
    const chunk = 'y'.repeat(600);
    const { 'x-vae-token': token, origin } = pageHeaders();
    const chunked =
      `POST /api/stop HTTP/1.1\r\nHost: ${base.host}\r\nOrigin: ${origin}\r\nX-VAE-Token: ${token}\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `258\r\n${chunk}\r\n`.repeat(3) +
      '0\r\n\r\n';
    assert.equal(await raw(chunked), 413);
    // Within the limit the stop route answers: 202 when a stop was taken, 409 when not running.
    stopAnswers = [true, false];
    assert.equal((await fetchBytes('/api/stop', { method: 'POST', body: '{}', headers: pageHeaders() })).status, 202);
    assert.equal((await fetchBytes('/api/stop', { method: 'POST', headers: pageHeaders() })).status, 409);
  });

  test("the model it hands the page decodes like the checkpoint's own", async () => {
    const { status, body } = await fetchBytes('/api/model');
    assert.equal(status, 200);
    const { model, info } = decodeModelPayload(new Uint8Array(body));
    const original = loadCheckpoint(runDir).model;
    assert.equal(info.epoch, 1);
    assert.deepEqual(model.config, original.config);
    // A third of the checkpoint: weights only, no Adam moments.
    assert.ok(body.length < readFileSync(join(runDir, CHECKPOINT_FILE)).length / 2.5);
    const z = new Tensor(Float32Array.from([0.5, -1, 2, 0.25]), [2, 2]);
    assert.deepEqual(model.decodeMean(z), original.decodeMean(z));
  });

  test('the encodings are the posterior means of the run\'s test digits, with their labels', async () => {
    const res = await fetch(new URL('/api/encodings', base));
    assert.equal(res.status, 200);
    const enc = (await res.json()) as { count: number; latent: number; labels: number[]; mu: number[] };
    const test = runData(loadDataset('mnist'), serverConfig().training).test;
    assert.equal(enc.count, 300);
    assert.equal(enc.latent, 2);
    assert.deepEqual(enc.labels, Array.from(test.labels));
    const model = loadCheckpoint(runDir).model;
    const mu = noGrad(() => model.encode(new Tensor(datasetFloats(test), [300, 784])).mu.data);
    assert.equal(enc.mu.length, mu.length);
    for (let i = 0; i < mu.length; i++) assert.ok(Math.abs(enc.mu[i]! - mu[i]!) < 1e-4, `mu[${i}]`);
  });

  test('50 concurrent clients get the same model, and 50 event streams each get every event even as some drop', async () => {
    const models = await Promise.all(Array.from({ length: 50 }, () => fetchBytes('/api/model')));
    for (const m of models) assert.deepEqual(m.body, models[0]!.body);

    const streams = await Promise.all(Array.from({ length: 50 }, () => openStream()));
    await waitFor(() => hub.clientCount === 50);
    // Ten vanish mid-stream, half of them abruptly.
    streams.slice(0, 10).forEach((s, i) => (i % 2 === 0 ? s.res.destroy() : s.res.socket?.destroy()));
    for (let n = 1; n <= 20; n++) hub.publish('tick', { n, pad: 'z'.repeat(2000) });
    await waitFor(() => hub.clientCount === 40);
    const alive = streams.slice(10);
    await waitFor(() => alive.every((s) => s.events.filter((e) => e.type === 'tick').length === 20));
    for (const s of alive) {
      assert.deepEqual(s.events[0], { type: 'hello', data: { n: 0 } });
      assert.deepEqual(s.events.slice(1).map((e) => (e.data as { n: number }).n), Array.from({ length: 20 }, (_, i) => i + 1));
    }
    for (const s of alive) s.res.destroy();
    await waitFor(() => hub.clientCount === 0);
    // The server still answers after all that.
    assert.equal((await fetchBytes('/api/info')).status, 200);
  });
});

type Stream = EventStream;

function openStream(): Promise<Stream> {
  return openEventStream(new URL('/api/events', base));
}

async function waitFor(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

