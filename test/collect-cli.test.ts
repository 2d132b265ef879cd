/**
 * `vae collect` as a person runs it: bad options are one line and exit 2 with nothing
 * written; on loopback it prints the address to open; bound beyond loopback (a room of
 * phones) it prints the addresses other machines can reach, each with the token, a QR code
 * of the first, and a warning, and nothing is served without the token; each submission is
 * logged; Ctrl-C stops it cleanly.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isLoopback } from '../src/server/guard.js';
import { assertUserFailure, startVae, vae } from './support/cli.js';
import { boxDrawing, send, waitFor } from './support/collect.js';
import { tempRoot } from './support/tiny.js';

const root = tempRoot('collect-cli');
after(() => rmSync(root, { recursive: true, force: true }));

test('bad options: one line, exit 2, no folder made', async () => {
  const out = join(root, 'never');
  writeFileSync(join(root, 'a-file'), 'x');
  const cases: Array<[string[], RegExp]> = [
    [[], /--out/],
    [['--out', out, '--rate', '0'], /--rate/],
    [['--out', out, '--rate', 'many'], /--rate/],
    [['--out', out, '--port', '70000'], /--port/],
    [['--out', out, '--prompt', '   '], /--prompt needs a word/],
    [['--out', out, '--prompt', 'x'.repeat(61)], /at most 60 characters/],
    [['--out', out, '--allow-host', 'bad host'], /--allow-host: "bad host" is not a host name/],
    [['--out', out, '--colour', 'red'], /unknown|--colour/],
    [['--out', join(root, 'a-file')], /not a folder/],
  ];
  for (const [args, pattern] of cases) {
    const r = await vae(['collect', ...args], root);
    assertUserFailure(r, pattern);
  }
  assert.equal(existsSync(out), false);
  // A port in use, an address not of this machine: one line, and still no folder.
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  try {
    const port = (busy.address() as AddressInfo).port;
    assertUserFailure(await vae(['collect', '--out', out, '--port', String(port)], root), new RegExp(`port ${port} is already in use`));
  } finally {
    busy.close();
  }
  assertUserFailure(await vae(['collect', '--out', out, '--port', '0', '--host', '192.0.2.250'], root), /cannot listen on host 192\.0\.2\.250/);
  assert.equal(existsSync(out), false);
  const help = await vae(['collect', '--help'], root);
  assert.equal(help.status, 0);
  for (const flag of ['--out', '--prompt', '--port', '--host', '--allow-host', '--rate']) assert.ok(help.stdout.includes(flag), flag);
  assert.match((await vae(['--help'], root)).stdout, /collect\s+Collect handwriting from phones/);
});

test('on loopback: the address to open, a line per submission, and Ctrl-C stops it with the count', { timeout: 60_000 }, async () => {
  const out = join(root, 'loopback', 'hello');
  const run = startVae(['collect', '--out', out, '--port', '0'], root, /^open (http:\/\/127\.0\.0\.1:\d+\/)  \(Ctrl-C to stop\)$/m);
  try {
    const url = new URL(await run.ready);
    assert.ok(existsSync(out), 'the folder is made');
    assert.match(run.stdout(), /"hello" drawings go to .* as hello-NNNN\.png, 32x128 grey/);
    assert.match(run.stdout(), /gallery at http:\/\/127\.0\.0\.1:\d+\/gallery\n/);
    assert.doesNotMatch(run.stdout(), /[▀▄█]/, 'no QR code for an address only this machine can open');
    const port = Number(url.port);
    const page = await send(port, '/');
    const token = /<meta name="vae-token" content="([0-9a-f]{48})">/.exec(page.body.toString())?.[1];
    assert.ok(token !== undefined);
    const headers = { origin: url.origin, 'x-vae-token': token, 'content-type': 'image/png' };
    const saved = await send(port, '/api/samples', { method: 'POST', headers, body: boxDrawing([[100, 50, 900, 200]]) });
    assert.equal(saved.status, 201);
    const refused = await send(port, '/api/samples', { method: 'POST', headers, body: 'no' });
    assert.equal(refused.status, 415);
    await waitFor(() => /refused a request from 127\.0\.0\.1: not a PNG image \(415\)/.test(run.stdout()), 'the refusal in the log');
    assert.match(run.stdout(), /^saved hello-0001\.png \(from 127\.0\.0\.1\)$/m);
    assert.equal(await run.stop(), 0, run.output());
    assert.match(run.stdout(), /vae collect: stopped; 1 sample in .*hello\n$/);
    assert.equal(run.stderr(), '');
    assert.deepEqual(readdirSync(out), ['hello-0001.png']);
  } finally {
    await run.stop();
  }
});

test('beyond loopback: reachable addresses with the token, a QR code of the first, a warning; nothing without the token', { timeout: 60_000 }, async () => {
  const out = join(root, 'room');
  const run = startVae(['collect', '--out', out, '--host', '0.0.0.0', '--port', '0', '--prompt', 'Hello', '--allow-host', 'vae.test'], root, /^open on the phones of this network (\S+)/m);
  try {
    const url = new URL(await run.ready);
    const token = url.searchParams.get('token');
    assert.match(token ?? '', /^[0-9a-f]{48}$/, url.href);
    assert.ok(!isLoopback(url.hostname), `${url.hostname}: an address the phones can reach`);
    assert.doesNotMatch(run.stdout(), /http:\/\/(127\.0\.0\.1|0\.0\.0\.0)[:/]/, 'loopback printed for a server bound beyond it');
    await waitFor(() => /\n.*[▀▄█].*\n(.*[▀▄█].*\n){10,}/.test(run.stdout()), 'the QR code');
    assert.match(run.stdout(), new RegExp(`gallery at http://\\S+:${url.port}/gallery\\?token=${token}\\n`));
    await waitFor(() => /warning: listening on 0\.0\.0\.0, beyond this machine/.test(run.stderr()), 'the warning');
    assert.match(run.stderr(), /can send drawings to .*room and delete them/);
    const port = Number(url.port);
    for (const host of [url.host, `vae.test:${port}`]) {
      for (const path of ['/', '/gallery', '/api/samples']) assert.equal((await send(port, path, { headers: { host } })).status, 403, `${host} ${path}`);
      const page = await send(port, `/?token=${token}`, { headers: { host } });
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /<h1 id="prompt">Hello<\/h1>/);
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      assert.equal((await send(port, '/api/samples', { headers: { host, cookie } })).status, 200);
    }
    assert.equal(await run.stop(), 0, run.output());
    assert.deepEqual(readdirSync(out), []);
  } finally {
    await run.stop();
  }
});
