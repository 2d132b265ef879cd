/**
 * Driving the collect page in a browser, for its test and for the README's pictures:
 *
 *   drawPath(page, path)          drags the mouse along a path in pad units (0..1 across) on #pad.
 *   drawHello(page, sample)       picks the sample's pen and draws a generated "hello"
 *                                 (test/support/hello-strokes.ts) by mouse, as a hand would.
 *   sendHello(page, sample)       draws it, sends it, and waits for the page's answer.
 *   takeScreenshots(dir)          docs/collect_phone.png and docs/collect_gallery.png: a phone
 *                                 (390 x 844) with "hello" on the pad, and the gallery at desktop
 *                                 width after a dozen samples of various slants and pens.
 *
 * Run `node dist/test/support/collect-page.js docs` to remake the pictures in docs/.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startCollect } from './collect.js';
import { PAD, helloSamples, type HelloSample } from './hello-strokes.js';

/** Pad pixels between the mouse positions sent: about what a phone reports of a finger. */
export const MOVE_STEP = 8;

/** Drags the mouse along `path` (pad units) on the page's #pad. */
export async function drawPath(page: Page, path: Array<[number, number]>): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (box === null) throw new Error('#pad is not on the page');
  const at = ([x, y]: [number, number]): [number, number] => [box.x + x * box.width, box.y + y * box.height];
  const [x0, y0] = at(path[0]!);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (const p of path.slice(1)) {
    const [x, y] = at(p);
    await page.mouse.move(x, y);
  }
  await page.mouse.up();
}

/**
 * Draws the sample's pen paths on the page's #pad by mouse, with its pen. The generator's
 * paths are denser than a pointer reports, so a point is sent every MOVE_STEP pad pixels.
 */
export async function drawHello(page: Page, sample: HelloSample): Promise<void> {
  await page.click(`button[data-pen="${sample.pen}"]`);
  const box = await page.locator('#pad').boundingBox();
  if (box === null) throw new Error('#pad is not on the page');
  const sx = box.width / PAD.width;
  const sy = box.height / PAD.height;
  for (const stroke of sample.strokes) {
    await page.mouse.move(box.x + stroke[0]!.x * sx, box.y + stroke[0]!.y * sy);
    await page.mouse.down();
    let last = stroke[0]!;
    for (const [i, p] of stroke.entries()) {
      if (Math.hypot(p.x - last.x, p.y - last.y) < MOVE_STEP && i < stroke.length - 1) continue;
      await page.mouse.move(box.x + p.x * sx, box.y + p.y * sy);
      last = p;
    }
    await page.mouse.up();
  }
}

/** Draws one "hello", sends it, and waits for the page to say it was saved; resolves to the status text. */
export async function sendHello(page: Page, sample: HelloSample): Promise<string> {
  await drawHello(page, sample);
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/samples') && r.request().method() === 'POST'), page.click('#send')]);
  await page.waitForFunction(() => /^(Saved|Not saved)/.test(document.querySelector('#status')?.textContent ?? ''));
  return (await page.textContent('#status')) ?? '';
}

declare const document: { querySelector(s: string): { textContent: string | null } | null; images: ArrayLike<{ complete: boolean }> };
declare const window: { collectReady?: boolean; galleryReady?: boolean };

export async function takeScreenshots(browser: Browser, dir: string): Promise<{ phone: string; gallery: string }> {
  mkdirSync(dir, { recursive: true });
  const root = join(tmpdir(), `vae-collect-shots-${process.pid}`);
  const c = await startCollect(root, { name: 'hello', rate: 1000 });
  try {
    const base = `http://127.0.0.1:${c.port}`;
    const desk = await browser.newPage({ viewport: { width: 1280, height: 600 } });
    await desk.goto(`${base}/`);
    await desk.waitForFunction(() => window.collectReady === true);
    const samples = helloSamples(14, 7);
    for (let i = 0; i < 12; i++) {
      const status = await sendHello(desk, samples[i]!);
      if (!status.startsWith('Saved')) throw new Error(`sample ${i}: ${status}`);
    }
    await desk.goto(`${base}/gallery`);
    await desk.waitForFunction(() => window.galleryReady === true);
    await desk.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
    // One delete half done, to show that it asks.
    await desk.click('li[data-file="hello-0008.png"] button.delete');
    const gallery = join(dir, 'collect_gallery.png');
    await desk.screenshot({ path: gallery, fullPage: true });
    await desk.close();

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${base}/`);
    await phone.waitForFunction(() => window.collectReady === true);
    await sendHello(phone, samples[12]!);
    await drawHello(phone, samples[13]!);
    const phoneShot = join(dir, 'collect_phone.png');
    await phone.screenshot({ path: phoneShot });
    await phone.close();
    return { phone: phoneShot, gallery };
  } finally {
    await c.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? 'docs';
  const browser = await launchBrowser();
  try {
    const made = await takeScreenshots(browser, dir);
    process.stdout.write(`wrote ${made.phone} and ${made.gallery}\n`);
  } finally {
    await browser.close();
  }
}
