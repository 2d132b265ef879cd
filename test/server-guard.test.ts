/**
 * Whose requests a page server answers (src/server/guard.ts), over real sockets: a foreign
 * Host is refused on every route (DNS rebinding); a cross-site form post cannot stop
 * training, and training goes on; only the page's token from the page's origin stops it;
 * bound beyond loopback every route needs the token that the printed address carries; run
 * files are streamed (ten parallel downloads of 100 MB leave the server's peak memory
 * nearly where it was), and only regular files are handed out. No response carries CORS
 * headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRunConfig } from '../src/train/config.js';
import { CHECKPOINT_FILE, createTrainingState, saveCheckpoint } from '../src/train/checkpoint.js';
import { createExplorerServer, guardOf, listen, shutdown } from '../src/server/app.js';
import { EventHub } from '../src/server/event-hub.js';
import { RequestGuard, isLoopback, parseAllowHosts, parseHost } from '../src/server/guard.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { readMetrics } from '../src/train/metrics-log.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const EVIL = 'http://evil.example';

let root: string;
let runDir: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vae-guard-test-'));
  runDir = join(root, 'run');
  mkdirSync(runDir);
  const config = defaultRunConfig();
  config.model.hidden = [8];
  config.model.latent = 2;
  config.training.testSize = 100;
  const state = createTrainingState(config);
  state.epoch = 1;
  saveCheckpoint(runDir, state);
  writeFileSync(join(runDir, 'metrics.jsonl'), '{"epoch":1}\n');
  writeFileSync(join(runDir, 'config.json'), JSON.stringify({ training: { dataset: '/home/someone/private-data' } }));
  writeFileSync(join(root, 'outside.json'), '{"outside":true}');
  symlinkSync(join(root, 'outside.json'), join(runDir, 'link.json'));
  mkdirSync(join(runDir, 'folder.json'));
  assert.equal(spawnSync('mkfifo', [join(runDir, 'pipe.csv')]).status, 0, 'mkfifo');
});
after(() => rmSync(root, { recursive: true, force: true }));

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request to 127.0.0.1:port with exactly the headers given (Host included, which fetch
 * would not let a test choose). Every reply is checked for CORS headers on the way.
 */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
        assert.deepEqual(cors, [], `${options.method ?? 'GET'} ${path} answered with CORS headers`);
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Exact bytes in, everything the server says until it closes, out. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** Every route of a live server (what a rebinding page would go for first: the model and the files). */
const ROUTES = [
  '/',
  '/index.html',
  '/live',
  '/api/info',
  '/api/model',
  '/api/encodings',
  '/api/measures',
  '/api/thumbnails',
  '/assets/explorer.js',
  '/assets/style.css',
  '/files/metrics.jsonl',
  '/files/config.json',
  `/files/${CHECKPOINT_FILE}`,
  '/no-such-route',
];

/** A server as `vae train --ui` makes it, with a stop that only counts. */
async function liveServer(host: string, guard?: RequestGuard): Promise<{ server: Server; port: number; stops: () => number; close: () => Promise<void> }> {
  const hub = new EventHub();
  let stops = 0;
  const server = createExplorerServer({
    run: new RunSource(join(runDir, CHECKPOINT_FILE), runDir),
    web: loadWebApp(),
    live: { hub, stop: () => (stops++, true) },
    guard,
  });
  const url = new URL(await listen(server, host, 0));
  return { server, port: Number(url.port), stops: () => stops, close: () => shutdown(server, hub) };
}

describe('on loopback', () => {
  let live: Awaited<ReturnType<typeof liveServer>>;
  before(async () => {
    live = await liveServer('127.0.0.1');
  });
  after(() => live.close());

  test('a foreign Host is refused on every route, with or without the token; its own names are answered', async () => {
    const { port } = live;
    const token = guardOf(live.server).token;
    const foreign = [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `localhost:${port + 1}`, `127.0.0.1:${port}@evil.example`];
    for (const host of foreign) {
      for (const path of ROUTES) {
        const r = await send(port, path, { headers: { host } });
        assert.equal(r.status, 403, `Host ${JSON.stringify(host)} ${path}`);
      }
      const withToken = await send(port, `/api/model?token=${token}`, { headers: { host, 'x-vae-token': token } });
      assert.notEqual(withToken.status, 200, `Host ${host} with the token`);
      const stop = await send(port, '/api/stop', { method: 'POST', headers: { host, 'x-vae-token': token, origin: `http://${host}` } });
      assert.notEqual(stop.status, 202, `stop through Host ${host}`);
    }
    assert.equal(live.stops(), 0);
    // No Host at all: HTTP/1.0 may omit it (refused here); HTTP/1.1 may not (node's parser says 400).
    assert.match(await rawExchange(port, 'GET /api/model HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 403 /);
    assert.match(await rawExchange(port, 'GET /api/model HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const refused = await send(port, '/api/model', { headers: { host: `evil.example:${port}` } });
    assert.match(refused.body.toString(), /does not answer to that host name/);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      assert.equal((await send(port, '/api/info', { headers: { host } })).status, 200, host);
      assert.equal((await send(port, '/api/model', { headers: { host } })).status, 200, host);
    }
  });

  test('a cross-site form post cannot stop training; only the token from the own origin can', async () => {
    const { port } = live;
    const token = guardOf(live.server).token;
    const own = `http://127.0.0.1:${port}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const attempts: [string, Record<string, string>][] = [
      ['a cross-site form post', { ...form, origin: EVIL }],
      ['a form post with no Origin', form],
      ['the own Origin without the token', { ...form, origin: own }],
      ['a wrong token', { origin: own, 'x-vae-token': token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }],
      ['the token from another site', { origin: EVIL, 'x-vae-token': token }],
      ['the token from an opaque origin', { origin: 'null', 'x-vae-token': token }],
      ['the token from another port of this machine', { origin: `http://127.0.0.1:${port + 1}`, 'x-vae-token': token }],
      ['the token in the cookie only', { origin: own, cookie: `vae-token-${port}=${token}` }],
    ];
    for (const [what, headers] of attempts) {
      const r = await send(port, '/api/stop', { method: 'POST', headers, body: 'stop=1' });
      assert.equal(r.status, 403, what);
    }
    assert.equal((await send(port, `/api/stop?token=${token}`, { method: 'POST', headers: { origin: own } })).status, 403, 'the token in the query');
    // A preflight is not granted either: no 2xx, no CORS headers (checked in send).
    const preflight = await send(port, '/api/stop', {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-vae-token' },
    });
    assert.ok(preflight.status >= 400, `preflight answered ${preflight.status}`);
    assert.equal(live.stops(), 0, 'nothing reached the stop');

    const r = await send(port, '/api/stop', { method: 'POST', headers: { origin: own, 'x-vae-token': token } });
    assert.equal(r.status, 202);
    assert.equal(live.stops(), 1);
    // Spelled as a browser on localhost would send it.
    const viaName = await send(port, '/api/stop', { method: 'POST', headers: { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'x-vae-token': token } });
    assert.equal(viaName.status, 202);
    assert.equal(live.stops(), 2);
  });

  test('pages carry the token and cross-origin isolation; reads need no token; ?token= sets a strict cookie', async () => {
    const { port } = live;
    const token = guardOf(live.server).token;
    assert.match(token, /^[0-9a-f]{48}$/);
    for (const path of ['/', '/live']) {
      const page = await send(port, path);
      assert.equal(page.status, 200, path);
      assert.ok(page.body.toString().includes(`<meta name="vae-token" content="${token}">`), path);
      assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
      assert.equal(page.headers['cross-origin-resource-policy'], 'same-origin');
      assert.equal(page.headers['set-cookie'], undefined);
    }
    const firstVisit = await send(port, `/?token=${token}`);
    assert.deepEqual(firstVisit.headers['set-cookie'], [`vae-token-${port}=${token}; Path=/; HttpOnly; SameSite=Strict`]);
    const wrong = await send(port, `/?token=${'0'.repeat(48)}`);
    assert.equal(wrong.status, 200, 'on loopback a wrong token is no token');
    assert.equal(wrong.headers['set-cookie'], undefined);
    // Another server's token is different.
    assert.notEqual(new RequestGuard().token, token);
  });

  test('/files/ hands out regular files of the run folder only: no links out, no folders, no FIFOs', async () => {
    const { port } = live;
    const metrics = await send(port, '/files/metrics.jsonl');
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers['content-length'], String(metrics.body.length));
    assert.equal(metrics.body.toString(), '{"epoch":1}\n');
    const checkpoint = await send(port, `/files/${CHECKPOINT_FILE}`);
    assert.deepEqual(checkpoint.body, readFileSync(join(runDir, CHECKPOINT_FILE)));
    const head = await send(port, `/files/${CHECKPOINT_FILE}`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(checkpoint.body.length));
    assert.equal(head.body.length, 0);
    // A FIFO would block a plain open (no writer ever comes): it must be a quick 404.
    for (const name of ['link.json', 'folder.json', 'pipe.csv']) assert.equal((await send(port, `/files/${name}`)).status, 404, name);
    // The server is not stuck on the FIFO.
    assert.equal((await send(port, '/api/info')).status, 200);
  });
});

describe('beyond loopback', () => {
  test('bound to 0.0.0.0, every route needs the token, which the printed addresses carry', async () => {
    const guard = new RequestGuard({ allowHosts: ['vae.test'] });
    const live = await liveServer('0.0.0.0', guard);
    try {
      const { port } = live;
      assert.equal(guard.exposed, true);
      const urls = guard.urls('/');
      assert.ok(urls.length >= 1);
      for (const url of urls) {
        const u = new URL(url);
        assert.equal(u.searchParams.get('token'), guard.token, url);
        assert.equal(u.port, String(port));
        assert.ok(!isLoopback(u.hostname) || urls.length === 1, `${url}: a loopback address printed beside reachable ones`);
        // 0.0.0.0 listens on IPv4 only; an IPv6 address printed would not answer.
        assert.ok(!u.hostname.startsWith('['), `${url}: IPv6 for an IPv4 bind`);
      }
      assert.match(guard.warning() ?? '', /anyone with the address above .* can read the model, its checkpoint and the run's files/);

      // Connected through 127.0.0.1, but named as another machine would name it.
      const printedHost = new URL(urls[0]!).host;
      for (const host of [printedHost, `vae.test:${port}`, `vae.test`, `127.0.0.1:${port}`]) {
        for (const path of ROUTES) {
          const bare = await send(port, path, { headers: { host } });
          assert.equal(bare.status, 403, `${host} ${path} without the token`);
          assert.match(bare.body.toString(), /open the address it printed, with its token/);
          assert.equal((await send(port, `${path}?token=${'f'.repeat(48)}`, { headers: { host } })).status, 403, `${host} ${path} with a wrong token`);
          // The run is MNIST's: more than a small collection, so no pictures to send.
          const expected = path === '/no-such-route' || path === '/api/thumbnails' ? 404 : 200;
          if (path === '/api/encodings') continue; // loads a dataset; the token check before it is what matters here
          const viaQuery = await send(port, `${path}?token=${guard.token}`, { headers: { host } });
          assert.equal(viaQuery.status, expected, `${host} ${path}?token=`);
          assert.deepEqual(viaQuery.headers['set-cookie'], [`vae-token-${port}=${guard.token}; Path=/; HttpOnly; SameSite=Strict`]);
          assert.equal((await send(port, path, { headers: { host, cookie: `other=1; vae-token-${port}=${guard.token}` } })).status, expected, `${host} ${path} cookie`);
          assert.equal((await send(port, path, { headers: { host, 'x-vae-token': guard.token } })).status, expected, `${host} ${path} header`);
        }
      }
      // Still no foreign names, token or not.
      assert.equal((await send(port, `/api/model?token=${guard.token}`, { headers: { host: `evil.example:${port}` } })).status, 403);
      // And state changes still need the header and the origin, as on loopback.
      const own = `http://vae.test:${port}`;
      assert.equal((await send(port, `/api/stop?token=${guard.token}`, { method: 'POST', headers: { host: `vae.test:${port}`, origin: own } })).status, 403);
      assert.equal((await send(port, '/api/stop', { method: 'POST', headers: { host: `vae.test:${port}`, origin: EVIL, 'x-vae-token': guard.token } })).status, 403);
      assert.equal(live.stops(), 0);
      assert.equal((await send(port, '/api/stop', { method: 'POST', headers: { host: `vae.test:${port}`, origin: own, 'x-vae-token': guard.token } })).status, 202);
      assert.equal(live.stops(), 1);
    } finally {
      await live.close();
    }
  });

  test('names and addresses: what counts as loopback, and what --allow-host takes', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of ['0.0.0.0', '::', '192.0.2.2', 'fd00::2', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(a), a);
    assert.deepEqual(parseHost('Vae.Test:8080'), { name: 'vae.test', port: 8080 });
    assert.deepEqual(parseHost('[::1]:80'), { name: '[::1]', port: 80 });
    assert.deepEqual(parseHost('vae.test'), { name: 'vae.test', port: null });
    for (const bad of ['', 'a b', 'x:', 'x:0', 'x:70000', 'x:8080:1', '[::1', '[zz]:1', 'user@host', 'a/b', '-a.example']) assert.equal(parseHost(bad), null, bad);
    assert.deepEqual(parseAllowHosts('a.example, b.example:9000'), ['a.example', 'b.example:9000']);
    assert.throws(() => parseAllowHosts('good.example,bad host'), /--allow-host: "bad host" is not a host name/);
    const loopback = new RequestGuard();
    loopback.bind('127.0.0.1', '127.0.0.1', 4321);
    assert.equal(loopback.exposed, false);
    assert.deepEqual(loopback.urls('/live'), ['http://127.0.0.1:4321/live']);
    assert.equal(loopback.warning(), null);
    // Names from --allow-host: with ports, only those; without, any.
    const proxied = new RequestGuard({ allowHosts: ['a.example:80', 'A.example:443', 'b.example'] });
    proxied.bind('127.0.0.1', '127.0.0.1', 4321);
    const answers = (host: string): boolean => proxied.check({ method: 'GET', url: '/', headers: { host } } as unknown as IncomingMessage).allowed;
    for (const host of ['a.example', 'a.example:80', 'a.example:443', 'b.example:1234', 'b.example', 'localhost:4321', '127.0.0.1:4321']) assert.ok(answers(host), host);
    for (const host of ['a.example:4321', 'localhost', 'localhost:80', 'c.example:4321', '127.0.0.2:4321']) assert.ok(!answers(host), host);
    const named = new RequestGuard();
    named.bind('vae.lan', '192.0.2.9', 4321);
    assert.deepEqual(named.urls('/live'), [`http://vae.lan:4321/live?token=${named.token}`]);
  });
});

/** Starts the CLI; resolves to the first match of `pattern` on its stdout. */
function startCli(args: string[], pattern: RegExp): { child: ChildProcess; match: Promise<RegExpExecArray>; exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err += c));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    void exit.then((code) => reject(new Error(`vae ${args[0]} exited ${code} early:\n${out}\n${err}`)));
  });
  return { child, match, exit, output: () => `--- stdout\n${out}\n--- stderr\n${err}` };
}

async function waitFor(condition: () => boolean, what: string, tries = 1500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('the CLI', () => {
  test('a bad --allow-host, or one without a server, is one line and exit code 2', () => {
    for (const [args, pattern] of [
      [['serve', '--run', runDir, '--allow-host', 'ok.example,bad host'], /--allow-host: "bad host" is not a host name/],
      [['train', '--allow-host', 'a.example'], /--allow-host is for the dashboard server; add --ui/],
    ] as const) {
      const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }
  });

  test('vae train --ui: a cross-site post and foreign Hosts are refused and training goes on; the page token stops it', { timeout: 180_000 }, async () => {
    const out = join(root, 'live-run');
    const run = startCli(
      ['train', '--ui', '--port', '0', '--latent', '2', '--hidden', '16', '--train-size', '256', '--test-size', '128', '--batch-size', '64', '--epochs', '100000', '--out', out],
      /live dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/live)\n/,
    );
    try {
      const [, , portText] = await run.match;
      const port = Number(portText);
      await waitFor(() => readMetrics(out).length >= 1, 'the first epoch');

      const crossSite = await send(port, '/api/stop', {
        method: 'POST',
        headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded', referer: `${EVIL}/` },
        body: 'stop=1',
      });
      assert.equal(crossSite.status, 403);
      for (const path of [...ROUTES, '/api/events']) assert.equal((await send(port, path, { headers: { host: `evil.example:${port}` } })).status, 403, path);
      const rebound = await send(port, '/api/stop', { method: 'POST', headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` } });
      assert.equal(rebound.status, 403);

      // Training goes on: more epochs are written after every refused attempt.
      const seen = readMetrics(out).length;
      await waitFor(() => readMetrics(out).length >= seen + 2, 'two more epochs after the refused posts');
      assert.equal(run.child.exitCode, null, 'still training');
      assert.doesNotMatch(run.output(), /stopping after this step/);

      // What the page's stop button does: the token from the page, from the page's origin.
      const page = await send(port, '/live');
      const token = /<meta name="vae-token" content="([0-9a-f]{48})">/.exec(page.body.toString())?.[1];
      assert.ok(token !== undefined, 'the live page carries its token');
      const stop = await send(port, '/api/stop', { method: 'POST', headers: { origin: `http://127.0.0.1:${port}`, 'x-vae-token': token } });
      assert.equal(stop.status, 202);
      assert.equal(await run.exit, 130, run.output());
      assert.match(run.output(), /stopping after this step \(asked from the dashboard\)/);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  test('vae serve --host 0.0.0.0 prints reachable addresses with the token and a warning; nothing is read without it', { timeout: 60_000 }, async () => {
    const serve = startCli(['serve', '--run', runDir, '--host', '0.0.0.0', '--port', '0', '--allow-host', 'vae.test'], /explorer at (\S+)/);
    try {
      const url = new URL((await serve.match)[1]!);
      const token = url.searchParams.get('token');
      assert.match(token ?? '', /^[0-9a-f]{48}$/, `the printed address ${url.href} carries the token`);
      assert.ok(!isLoopback(url.hostname) || url.hostname === '127.0.0.1', `${url.hostname}: an address others can reach`);
      assert.doesNotMatch(serve.output(), /http:\/\/(127\.0\.0\.1|0\.0\.0\.0)[:/]/, 'loopback printed as the address of a server bound beyond it');
      await waitFor(() => /warning: listening on 0\.0\.0\.0, beyond this machine/.test(serve.output()), 'the warning');
      assert.match(serve.output(), /--- stderr\n(?:.*\n)*.*can read the model, its checkpoint and the run's files/);
      const port = Number(url.port);
      for (const host of [url.host, `vae.test:${port}`]) {
        for (const path of ['/', '/api/info', '/api/model', '/files/config.json', `/files/${CHECKPOINT_FILE}`]) {
          assert.equal((await send(port, path, { headers: { host } })).status, 403, `${host} ${path}`);
        }
        const page = await send(port, `${url.pathname}${url.search}`, { headers: { host } });
        assert.equal(page.status, 200);
        assert.ok(page.body.toString().includes(token!));
        const cookie = String(page.headers['set-cookie']).split(';')[0]!;
        const config = await send(port, '/files/config.json', { headers: { host, cookie } });
        assert.equal(config.status, 200);
        assert.match(config.body.toString(), /private-data/);
      }
    } finally {
      serve.child.kill('SIGINT');
      await serve.exit;
    }
  });

  test('/files/ streams: ten parallel downloads of a 100 MB file hardly raise the server\'s peak memory', { timeout: 180_000 }, async (t) => {
    const SIZE = 100 * 1024 * 1024;
    const name = 'large.safetensors';
    // Sparse: no disk to speak of, and the page cache is not the server's memory.
    const fd = openSync(join(runDir, name), 'w');
    ftruncateSync(fd, SIZE);
    writeSync(fd, Buffer.from('head'), 0, 4, 0);
    writeSync(fd, Buffer.from('tail'), 0, 4, SIZE - 4);
    closeSync(fd);
    const serve = startCli(['serve', '--run', runDir, '--port', '0'], /explorer at http:\/\/127\.0\.0\.1:(\d+)\//);
    try {
      const port = Number((await serve.match)[1]);
      const peak = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${serve.child.pid}/status`, 'utf8'))![1]) * 1024;
      // Warm the server (its first answers load the checkpoint) before taking the baseline.
      assert.equal((await send(port, '/api/model')).status, 200);
      assert.equal((await send(port, '/files/metrics.jsonl')).status, 200);
      const before = peak();
      const downloads = Array.from(
        { length: 10 },
        () =>
          new Promise<{ length: string | undefined; bytes: number; head: string; tail: string }>((resolve, reject) => {
            const req = httpRequest({ host: '127.0.0.1', port, path: `/files/${name}`, headers: { host: `127.0.0.1:${port}` }, agent: false }, (res) => {
              let bytes = 0;
              let head = '';
              let last = Buffer.alloc(0);
              res.on('data', (chunk: Buffer) => {
                if (head.length < 4) head += chunk.subarray(0, 4 - head.length).toString('latin1');
                bytes += chunk.length;
                last = Buffer.concat([last, chunk]).subarray(-4);
              });
              res.on('end', () => resolve({ length: res.headers['content-length'], bytes, head, tail: last.toString('latin1') }));
              res.on('error', reject);
            });
            req.on('error', reject);
            req.end();
          }),
      );
      for (const d of await Promise.all(downloads)) {
        assert.equal(d.length, String(SIZE));
        assert.equal(d.bytes, SIZE);
        assert.equal(d.head, 'head');
        assert.equal(d.tail, 'tail');
      }
      const grew = peak() - before;
      t.diagnostic(`peak RSS ${(before / 2 ** 20).toFixed(0)} MB before, +${(grew / 2 ** 20).toFixed(1)} MB over 10 parallel downloads of 100 MB`);
      // Reading each file whole would take 10 x 100 MB; streaming takes a few buffers each.
      assert.ok(grew < 100 * 1024 * 1024, `peak memory grew by ${(grew / 2 ** 20).toFixed(0)} MB`);
    } finally {
      serve.child.kill('SIGINT');
      await serve.exit;
      rmSync(join(runDir, name), { force: true });
    }
  });
});
