/**
 * The live page's closing words match what the server does next: after a finished run it stays
 * up and its Explorer link shows the final model, so the page says that (not a command to start
 * another server); after a stop it exits, so the page names the command that explores the
 * checkpoint kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { EventHub } from '../src/server/event-hub.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { launchBrowser } from './support/browser.js';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

async function endTextFor(status: 'done' | 'stopped', checkpointEpoch: number): Promise<{ text: string; explorerHref: string | null }> {
  const hub = new EventHub();
  const server = createExplorerServer({ run: new RunSource('/nonexistent/checkpoint.safetensors', null), web: loadWebApp(), live: { hub, stop: () => true } });
  const url = await listen(server, '127.0.0.1', 0);
  const page = await browser.newPage();
  try {
    await page.goto(new URL('/live', url).href);
    const start = Date.now();
    while (hub.clientCount === 0 && Date.now() - start < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(hub.clientCount, 1, 'the page did not open the live feed');
    hub.publish('end', { status, message: '3 epochs, test NELBO 101.50 nats', checkpointEpoch, dir: 'runs/r1' });
    await page.waitForSelector(`body[data-ended="${status}"]`, { timeout: 10_000 });
    return { text: (await page.textContent('#end')) ?? '', explorerHref: await page.getAttribute('#nav a', 'href') };
  } finally {
    await page.close();
    await shutdown(server, hub);
  }
}

test('a finished run: the Explorer link shows the final model, and the server stays until Ctrl-C', async () => {
  const { text, explorerHref } = await endTextFor('done', 3);
  assert.equal(explorerHref, '/');
  assert.equal(
    text,
    'Training finished: 3 epochs, test NELBO 101.50 nats. The checkpoint is in runs/r1. The Explorer link above shows the final model; this server stays up until Ctrl-C in the terminal.',
  );
  assert.doesNotMatch(text, /vae serve/);
});

test('a stopped run: the server exits, so the page names the command that explores the checkpoint kept', async () => {
  const { text } = await endTextFor('stopped', 2);
  assert.match(text, /The checkpoint of epoch 2 is in runs\/r1; explore it with: vae serve --run runs\/r1$/);
});
