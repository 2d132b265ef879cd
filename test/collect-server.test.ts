/**
 * The server of `vae collect` over real sockets (src/server/collect-app.ts): a drawing becomes
 * hello-0001.png, then hello-0002.png, 32 x 128 grey with the ink bright on black; whatever
 * is refused (too large, not a PNG, damaged, blank, too many from one device, an upload cut
 * off midway) leaves the folder exactly as it was, dot-files included; a foreign Host, a
 * foreign Origin or a missing token is refused; bound beyond loopback, every route needs the
 * token; only the collect's own files can be read or deleted.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SampleFolder, parseSampleName, sampleName, slugOf } from '../src/collect/sample-folder.js';
import { MAX_SUBMISSION_BYTES } from '../src/server/collect-app.js';
import { isLoopback } from '../src/server/guard.js';
import { boxDrawing, listing, send, startCollect, waitFor } from './support/collect.js';
import { tempRoot } from './support/tiny.js';

const root = tempRoot('collect-server');
after(() => rmSync(root, { recursive: true, force: true }));

const EVIL = 'http://evil.example';
/** A 400 x 80 black box in the middle of the pad: the stored block is 120.75 x 24.15 pixels, centred. */
const BOX: [number, number, number, number] = [312, 88, 712, 168];

function post(port: number, headers: Record<string, string>, body: Uint8Array | string, localAddress?: string) {
  return send(port, '/api/samples', { method: 'POST', headers: { 'content-type': 'image/png', ...headers }, body, localAddress });
}

describe('submissions', () => {
  test('a good drawing becomes hello-0001.png, then hello-0002.png: grey 32x128, the box bright and centred on black', async () => {
    const c = await startCollect(root);
    try {
      const first = await post(c.port, c.own(), boxDrawing([BOX]));
      assert.equal(first.status, 201, first.body.toString());
      assert.deepEqual(first.json(), { file: 'hello-0001.png' });
      const second = await post(c.port, c.own(), boxDrawing([[10, 10, 1010, 250]]));
      assert.deepEqual(second.json(), { file: 'hello-0002.png' });
      assert.deepEqual(listing(c.dir), ['hello-0001.png', 'hello-0002.png']);

      const bytes = readFileSync(join(c.dir, 'hello-0001.png'));
      // IHDR: width, height, bit depth 8, colour type 0 (grey).
      assert.equal(bytes.readUInt32BE(16), 128);
      assert.equal(bytes.readUInt32BE(20), 32);
      assert.equal(bytes[24], 8);
      assert.equal(bytes[25], 0);
      const image = PNG.sync.read(bytes);
      const grey = (x: number, y: number): number => image.data[4 * (y * 128 + x)]!;
      for (let y = 4; y <= 27; y++) for (let x = 4; x <= 123; x++) assert.equal(grey(x, y), 255, `(${x}, ${y}) inside the box`);
      for (let x = 0; x < 128; x++) for (const y of [0, 1, 2, 29, 30, 31]) assert.equal(grey(x, y), 0, `(${x}, ${y}) outside`);
      for (let y = 0; y < 32; y++) for (const x of [0, 1, 2, 125, 126, 127]) assert.equal(grey(x, y), 0, `(${x}, ${y}) outside`);

      // The gallery's view: names oldest first, each image as stored.
      const list = await send(c.port, '/api/samples');
      assert.deepEqual(list.json(), ['hello-0001.png', 'hello-0002.png']);
      const image1 = await send(c.port, '/samples/hello-0001.png');
      assert.equal(image1.status, 200);
      assert.equal(image1.headers['content-type'], 'image/png');
      assert.deepEqual(image1.body, bytes);
      assert.deepEqual(
        c.events.map((e) => e.kind),
        ['saved', 'saved'],
      );
    } finally {
      await c.close();
    }
  });

  test('the pages carry the token and the prompt (escaped), with the security headers', async () => {
    const c = await startCollect(root, { prompt: 'Hi <b>"you"</b>' });
    try {
      for (const path of ['/', '/gallery']) {
        const page = await send(c.port, path);
        assert.equal(page.status, 200, path);
        const html = page.body.toString();
        assert.ok(html.includes(`<meta name="vae-token" content="${c.guard.token}">`), path);
        assert.ok(html.includes('content="Hi &#60;b&#62;&#34;you&#34;&#60;/b&#62;"'), path);
        assert.ok(!html.includes('<b>"you"'), path);
        assert.match(String(page.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
        assert.equal(page.headers['x-content-type-options'], 'nosniff');
        assert.equal(page.headers['referrer-policy'], 'no-referrer');
      }
      assert.match((await send(c.port, '/')).body.toString(), /<h1 id="prompt">Hi &#60;b&#62;/);
      for (const asset of ['collect.js', 'gallery.js', 'style.css', 'collect.css']) assert.equal((await send(c.port, `/assets/${asset}`)).status, 200, asset);
      for (const script of ['collect.js', 'gallery.js']) assert.doesNotMatch((await send(c.port, `/assets/${script}`)).body.toString(), /["']node:|\brequire\(/, script);
      // Only routes of its own: no other page's scripts, nothing else.
      for (const path of ['/assets/explorer.js', '/api/model', '/files/config.json', '/gallery/', '/samples/']) assert.equal((await send(c.port, path)).status, 404, path);
      const prompt = 'Hi <b>"you"</b>';
      const posted = await post(c.port, c.own(), boxDrawing([BOX]));
      assert.deepEqual(posted.json(), { file: `${slugOf(prompt)}-0001.png` });
      assert.equal(slugOf(prompt), 'hi-b-you-b');
    } finally {
      await c.close();
    }
  });

  test('refused submissions leave the folder as it was: too large, not a PNG, damaged, blank, too many pixels', async () => {
    const c = await startCollect(root);
    try {
      assert.equal((await post(c.port, c.own(), boxDrawing([BOX]))).status, 201);
      const before = listing(c.dir);
      const good = boxDrawing([BOX]);
      const cases: Array<{ what: string; body: Uint8Array | string; headers?: Record<string, string>; status: number; error: RegExp }> = [
        { what: 'a body over the limit', body: Buffer.concat([good, Buffer.alloc(MAX_SUBMISSION_BYTES)]), status: 413, error: /larger than 2097152 bytes/ },
        { what: 'text', body: 'hello, this is not a drawing', status: 415, error: /^not a PNG image$/ },
        { what: 'a JPEG', body: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]), status: 415, error: /^not a PNG image$/ },
        { what: 'an empty body', body: '', status: 415, error: /^not a PNG image$/ },
        { what: 'a truncated PNG', body: good.subarray(0, good.length - 30), status: 400, error: /^a damaged PNG: / },
        { what: 'a blank drawing', body: boxDrawing([]), status: 400, error: /^the drawing is empty$/ },
        { what: 'a huge drawing', body: boxDrawing([[0, 0, 10, 2]], { width: 5000, height: 4 }), status: 400, error: /5000x4; at most 4096 pixels a side/ },
      ];
      for (const { what, body, status, error } of cases) {
        const reply = await post(c.port, c.own(), body);
        assert.equal(reply.status, status, `${what}: ${reply.body.toString()}`);
        assert.match((reply.json() as { error: string }).error, error, what);
        assert.deepEqual(listing(c.dir), before, `${what} changed the folder`);
      }
      // A body that grows past the limit without saying so (chunked) is cut off as it comes.
      const chunked = await new Promise<number>((resolve, reject) => {
        const socket = connect(c.port, '127.0.0.1');
        let answer = '';
        socket.on('data', (d) => {
          answer += d.toString('latin1');
          const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
          if (m) {
            resolve(Number(m[1]));
            socket.destroy();
          }
        });
        socket.on('error', reject);
        const h = c.own();
        socket.write(`POST /api/samples HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.origin}\r\nX-VAE-Token: ${h['x-vae-token']}\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const piece = Buffer.alloc(256 * 1024, 7);
        const writeMore = (left: number): void => {
          if (left === 0 || socket.destroyed) return;
          socket.write(`${piece.length.toString(16)}\r\n`);
          socket.write(piece);
          socket.write('\r\n', () => setImmediate(() => writeMore(left - 1)));
        };
        writeMore(16);
      });
      assert.equal(chunked, 413);
      // A declared length over the limit is refused before any of the body is sent.
      const declared = await new Promise<number>((resolve, reject) => {
        const socket = connect(c.port, '127.0.0.1');
        socket.on('data', (d) => {
          resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1]));
          socket.destroy();
        });
        socket.on('error', reject);
        const h = c.own();
        socket.write(`POST /api/samples HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.origin}\r\nX-VAE-Token: ${h['x-vae-token']}\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
      });
      assert.equal(declared, 413);
      assert.deepEqual(listing(c.dir), before);
      // The server goes on numbering where it was.
      assert.deepEqual((await post(c.port, c.own(), good)).json(), { file: 'hello-0002.png' });
    } finally {
      await c.close();
    }
  });

  test('an upload that breaks off halfway leaves nothing behind, and the next one takes the next number', async () => {
    const c = await startCollect(root);
    try {
      const before = listing(c.dir);
      const good = boxDrawing([BOX]);
      const h = c.own();
      const socket = connect(c.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `POST /api/samples HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.origin}\r\nX-VAE-Token: ${h['x-vae-token']}\r\nContent-Type: image/png\r\nContent-Length: ${good.length}\r\n\r\n`,
      );
      await new Promise<void>((resolve) => socket.write(good.subarray(0, good.length >> 1), () => resolve()));
      // Wait until the server holds the first half, then go away.
      await new Promise((r) => setTimeout(r, 100));
      socket.destroy();
      await waitFor(() => c.events.some((e) => e.kind === 'aborted'), 'the server to see the upload break off');
      assert.deepEqual(listing(c.dir), before);
      assert.deepEqual((await post(c.port, c.own(), good)).json(), { file: 'hello-0001.png' });
    } finally {
      await c.close();
    }
  });

  test('an upload that dribbles on past the request timeout is dropped, and nothing is written', async () => {
    const c = await startCollect(root, { timeouts: { headers: 500, request: 1000 } });
    try {
      const good = boxDrawing([BOX]);
      const h = c.own();
      const socket = connect(c.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('latin1')));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.write(`POST /api/samples HTTP/1.1\r\nHost: ${h.host}\r\nOrigin: ${h.origin}\r\nX-VAE-Token: ${h['x-vae-token']}\r\nContent-Length: ${good.length}\r\n\r\n`);
      // A hundred bytes every 100 ms: the whole drawing would take minutes.
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(good.subarray(sent, sent + 100));
        sent += 100;
      }, 100);
      await closed;
      clearInterval(timer);
      assert.ok(sent < good.length, 'the server waited for the whole drawing');
      assert.match(answer, /^(HTTP\/1\.1 408|$)/, answer);
      await waitFor(() => c.events.some((e) => e.kind === 'aborted'), 'the server to drop the upload');
      assert.deepEqual(listing(c.dir), []);
    } finally {
      await c.close();
    }
  });

  test('a device gets 429 after --rate submissions a minute, with Retry-After; another device still gets through', async () => {
    const c = await startCollect(root, { rate: 3 });
    try {
      const good = boxDrawing([BOX]);
      // Refused submissions count too: the limit bounds the work, not only the files.
      assert.equal((await post(c.port, c.own(), 'not a png')).status, 415);
      assert.equal((await post(c.port, c.own(), good)).status, 201);
      assert.equal((await post(c.port, c.own(), good)).status, 201);
      const limited = await post(c.port, c.own(), good);
      assert.equal(limited.status, 429);
      assert.match((limited.json() as { error: string }).error, /too many drawings from this device: at most 3 a minute; try again in \d+ s/);
      const retry = Number(limited.headers['retry-after']);
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${limited.headers['retry-after']}`);
      assert.deepEqual(listing(c.dir), ['hello-0001.png', 'hello-0002.png']);
      // 127.0.0.2 is loopback too, but another client.
      const other = await post(c.port, c.own(), good, '127.0.0.2');
      assert.equal(other.status, 201, other.body.toString());
      assert.equal((await post(c.port, c.own(), good)).status, 429);
      // Reading is not limited.
      assert.equal((await send(c.port, '/api/samples')).status, 200);
    } finally {
      await c.close();
    }
  });
});

describe('whose requests count', () => {
  test('a foreign Host is refused on every route; a foreign Origin or a missing token cannot submit or delete', async () => {
    const c = await startCollect(root);
    try {
      assert.equal((await post(c.port, c.own(), boxDrawing([BOX]))).status, 201);
      const before = listing(c.dir);
      for (const path of ['/', '/gallery', '/api/samples', '/samples/hello-0001.png', '/assets/collect.js']) {
        const r = await send(c.port, path, { headers: { host: `evil.example:${c.port}` } });
        assert.equal(r.status, 403, path);
        assert.match(r.body.toString(), /does not answer to that host name/);
      }
      const good = boxDrawing([BOX]);
      const { host, origin, 'x-vae-token': token } = c.own();
      const attempts: Array<[string, Record<string, string>]> = [
        ['foreign Host', { host: `evil.example:${c.port}`, origin: `http://evil.example:${c.port}`, 'x-vae-token': token! }],
        ['foreign Origin', { host: host!, origin: EVIL, 'x-vae-token': token! }],
        ['no Origin', { host: host!, 'x-vae-token': token! }],
        ['no token', { host: host!, origin: origin! }],
        ['a wrong token', { host: host!, origin: origin!, 'x-vae-token': 'f'.repeat(48) }],
      ];
      for (const [what, headers] of attempts) {
        assert.equal((await post(c.port, headers, good)).status, 403, `POST with ${what}`);
        assert.equal((await send(c.port, '/api/samples/hello-0001.png', { method: 'DELETE', headers })).status, 403, `DELETE with ${what}`);
      }
      // The token in the address or a cookie is for reading: a state change needs the header.
      assert.equal((await post(c.port, { host: host!, origin: origin!, cookie: `vae-token-${c.port}=${token}` }, good)).status, 403);
      assert.equal((await send(c.port, `/api/samples?token=${token}`, { method: 'POST', headers: { host: host!, origin: origin! }, body: good })).status, 403);
      assert.deepEqual(listing(c.dir), before);
      assert.equal(c.events.filter((e) => e.kind === 'deleted').length, 0);
    } finally {
      await c.close();
    }
  });

  test('bound to 0.0.0.0, every route needs the token, which the printed addresses carry; then the cookie carries it', async () => {
    const c = await startCollect(root, { host: '0.0.0.0', allowHosts: ['vae.test'] });
    try {
      assert.equal(c.guard.exposed, true);
      const urls = c.guard.urls('/');
      for (const url of urls) {
        const u = new URL(url);
        assert.equal(u.searchParams.get('token'), c.guard.token, url);
        assert.ok(!isLoopback(u.hostname) || urls.length === 1, url);
      }
      assert.equal((await post(c.port, { ...c.own(), host: `vae.test:${c.port}`, origin: `http://vae.test:${c.port}` }, boxDrawing([BOX]))).status, 201);
      const printed = new URL(urls[0]!).host;
      const token = c.guard.token;
      for (const host of [printed, `vae.test:${c.port}`, `127.0.0.1:${c.port}`]) {
        for (const path of ['/', '/index.html', '/gallery', '/api/samples', '/samples/hello-0001.png', '/assets/collect.js', '/no-such-route']) {
          const bare = await send(c.port, path, { headers: { host } });
          assert.equal(bare.status, 403, `${host} ${path} without the token`);
          assert.match(bare.body.toString(), /open the address it printed, with its token/);
          assert.equal((await send(c.port, `${path}?token=${'0'.repeat(48)}`, { headers: { host } })).status, 403, `${host} ${path} wrong token`);
          const expected = path === '/no-such-route' ? 404 : 200;
          const viaQuery = await send(c.port, `${path}?token=${token}`, { headers: { host } });
          assert.equal(viaQuery.status, expected, `${host} ${path}?token=`);
          assert.deepEqual(viaQuery.headers['set-cookie'], [`vae-token-${c.port}=${token}; Path=/; HttpOnly; SameSite=Strict`]);
          assert.equal((await send(c.port, path, { headers: { host, cookie: `vae-token-${c.port}=${token}` } })).status, expected, `${host} ${path} cookie`);
        }
      }
    } finally {
      await c.close();
    }
  });
});

describe('reading and deleting', () => {
  test('delete removes only that sample; other names, paths out of the folder and links are refused', async () => {
    const c = await startCollect(root);
    try {
      const good = boxDrawing([BOX]);
      for (let i = 0; i < 3; i++) assert.equal((await post(c.port, c.own(), good)).status, 201);
      writeFileSync(join(c.dir, 'notes.txt'), 'the teacher\'s notes');
      writeFileSync(join(root, 'x'), 'outside');
      writeFileSync(join(root, 'outside-0001.png'), 'outside');
      symlinkSync(join(root, 'outside-0001.png'), join(c.dir, 'hello-0050.png'));
      const del = (name: string) => send(c.port, `/api/samples/${name}`, { method: 'DELETE', headers: c.own() });

      const removed = await del('hello-0002.png');
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.json(), { deleted: 'hello-0002.png' });
      assert.deepEqual(listing(c.dir), ['hello-0001.png', 'hello-0003.png', 'hello-0050.png', 'notes.txt']);
      assert.equal((await del('hello-0002.png')).status, 404, 'a second delete');

      for (const name of ['../x', '..%2fx', '%2e%2e%2fx', '..\\x', 'notes.txt', '.hello-0001.png', 'hello-0001.PNG', 'hello-1.png', 'x/../hello-0001.png', '', 'hello-0050.png']) {
        const r = await del(name);
        assert.ok([400, 404, 405].includes(r.status), `DELETE ${name}: ${r.status}`);
        const read = await send(c.port, `/samples/${name}`);
        assert.equal(read.status, 404, `GET /samples/${name}`);
      }
      assert.deepEqual(listing(c.dir), ['hello-0001.png', 'hello-0003.png', 'hello-0050.png', 'notes.txt']);
      assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'outside');
      assert.equal(readFileSync(join(root, 'outside-0001.png'), 'utf8'), 'outside');
      // The listing has the samples only, not the notes, not the link.
      assert.deepEqual((await send(c.port, '/api/samples')).json(), ['hello-0001.png', 'hello-0003.png']);
      // Deleting asks for DELETE; GET on the same path is not a delete.
      assert.equal((await send(c.port, '/api/samples/hello-0001.png')).status, 405);
      assert.ok(listing(c.dir).includes('hello-0001.png'));
      // Numbers go on from the largest in the folder.
      assert.deepEqual((await post(c.port, c.own(), good)).json(), { file: 'hello-0051.png' });
    } finally {
      await c.close();
    }
  });
});

describe('a folder gone while serving', () => {
  test('a submission and the listing say so in one line, and the server goes on', async () => {
    const c = await startCollect(root);
    try {
      rmSync(c.dir, { recursive: true });
      const posted = await post(c.port, c.own(), boxDrawing([BOX]));
      assert.equal(posted.status, 500);
      assert.match((posted.json() as { error: string }).error, /^cannot write a sample in .*: no such file or folder$/);
      const listed = await send(c.port, '/api/samples');
      assert.equal(listed.status, 500);
      assert.match((listed.json() as { error: string }).error, /^cannot read the sample folder .*: no such file or folder$/);
      mkdirSync(c.dir);
      assert.deepEqual((await post(c.port, c.own(), boxDrawing([BOX]))).json(), { file: 'hello-0001.png' });
    } finally {
      await c.close();
    }
  });
});

describe('the sample folder', () => {
  test('names: the slug of a prompt, numbers of four digits and more, the next number per slug', () => {
    assert.equal(slugOf('hello'), 'hello');
    assert.equal(slugOf('  Hello, World! '), 'hello-world');
    assert.equal(slugOf('日本'), 'sample');
    assert.equal(sampleName('hello', 7), 'hello-0007.png');
    assert.equal(sampleName('hello', 12345), 'hello-12345.png');
    assert.deepEqual(parseSampleName('hello-world-0009.png'), { slug: 'hello-world', number: 9 });
    assert.deepEqual(parseSampleName('room-101-0002.png'), { slug: 'room-101', number: 2 });
    for (const bad of ['hello.png', 'hello-001.png', 'Hello-0001.png', '.hello-0001.png', 'hello-0001.png.tmp', 'hello--0001.png', '-0001.png']) assert.equal(parseSampleName(bad), null, bad);

    const dir = join(root, 'names');
    const folder = new SampleFolder(dir, 'hello');
    mkdirSync(dir);
    for (const name of ['hello-0007.png', 'hello-world-0042.png', 'hi-0100.png', 'notes.txt']) writeFileSync(join(dir, name), 'x');
    assert.equal(folder.nextNumber(), 8);
    const grey = new Uint8Array(32 * 128).fill(9);
    assert.equal(folder.save(grey, { height: 32, width: 128 }), 'hello-0008.png');
    assert.equal(new SampleFolder(dir, 'hello-world').nextNumber(), 43);
    assert.deepEqual(listing(dir), ['hello-0007.png', 'hello-0008.png', 'hello-world-0042.png', 'hi-0100.png', 'notes.txt']);
    const back = PNG.sync.read(readFileSync(join(dir, 'hello-0008.png')));
    assert.equal(back.width, 128);
    assert.equal(back.data[0], 9);

    // Another writer took the number this one counted on: the next free one is used, nothing is overwritten.
    class Raced extends SampleFolder {
      override nextNumber(): number {
        return 7;
      }
    }
    const before = readFileSync(join(dir, 'hello-0007.png'));
    assert.equal(new Raced(dir, 'hello').save(grey, { height: 32, width: 128 }), 'hello-0009.png');
    assert.deepEqual(readFileSync(join(dir, 'hello-0007.png')), before);
    assert.deepEqual(listing(dir), ['hello-0007.png', 'hello-0008.png', 'hello-0009.png', 'hello-world-0042.png', 'hi-0100.png', 'notes.txt']);
  });
});
