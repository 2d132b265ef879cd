/**
 * Driving the collect page in a browser, for its test and for the README's pictures:
 *
 *   helloPath(style)              a cursive "hello" as one pen path, in pad units (x right,
 *                                 y down, 0..1 across the pad), with a slant and a size.
 *   drawPath(page, path)          drags the mouse along it on the page's #pad.
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

export interface HelloStyle {
  /** Shear of the letters, in radians; positive leans right. */
  slant: number;
  /** Height of an ascender (h, l) as a share of the pad's height. */
  size: number;
  /** Where the word starts, as a share of the pad's width. */
  left: number;
}

/**
 * "hello" in joined-up letters: key points of the pen (x along the word, y up from the
 * baseline; 1 is the height of the small letters), written as one stroke.
 */
const HELLO_KEYS: Array<[number, number]> = [
  [0, 0], [0.35, 0.9], [0.55, 1.9], [0.45, 2.25], [0.25, 2.0], [0.18, 1.0], [0.15, 0],
  [0.3, 0.65], [0.55, 0.95], [0.75, 0.75], [0.78, 0.2], [0.9, 0.02],
  [1.15, 0.35], [1.45, 0.6], [1.42, 0.92], [1.2, 0.95], [1.05, 0.55], [1.12, 0.1], [1.35, 0], [1.55, 0.15],
  [1.8, 0.9], [1.98, 1.85], [1.9, 2.25], [1.72, 1.95], [1.68, 1.0], [1.72, 0.15], [1.9, 0.02], [2.05, 0.2],
  [2.3, 0.9], [2.48, 1.85], [2.4, 2.25], [2.22, 1.95], [2.18, 1.0], [2.22, 0.15], [2.4, 0.02], [2.6, 0.25],
  [2.75, 0.85], [2.95, 0.98], [3.15, 0.7], [3.12, 0.2], [2.95, 0.0], [2.75, 0.15], [2.72, 0.6], [2.95, 0.95], [3.3, 0.9],
];
/** Letters written on a pad are wider than their height suggests; the baseline is the pad's guide line. */
const STRETCH = 2.1;
const BASELINE = 0.72;

/** The pen path of one "hello", in pad units. */
export function helloPath(style: HelloStyle, aspect = 4): Array<[number, number]> {
  const unitY = style.size / 2.25;
  const unitX = (unitY * STRETCH) / aspect;
  const points: Array<[number, number]> = [];
  // Catmull-Rom through the key points: a smooth pen path, as a hand draws it.
  const keys = HELLO_KEYS;
  for (let i = 0; i < keys.length - 1; i++) {
    const p0 = keys[Math.max(0, i - 1)]!;
    const p1 = keys[i]!;
    const p2 = keys[i + 1]!;
    const p3 = keys[Math.min(keys.length - 1, i + 2)]!;
    for (let s = 0; s < 4; s++) {
      const t = s / 4;
      const f = (a: number, b: number, c: number, d: number): number =>
        0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t * t + (-a + 3 * b - 3 * c + d) * t * t * t);
      const x = f(p0[0], p1[0], p2[0], p3[0]);
      const y = f(p0[1], p1[1], p2[1], p3[1]);
      points.push([style.left + (x + y * Math.tan(style.slant)) * unitX, BASELINE - y * unitY]);
    }
  }
  const last = keys[keys.length - 1]!;
  points.push([style.left + (last[0] + last[1] * Math.tan(style.slant)) * unitX, BASELINE - last[1] * unitY]);
  return points;
}

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

/** Draws one "hello" with `pen`, sends it, and waits for the page to say it was saved; resolves to the status text. */
export async function sendHello(page: Page, style: HelloStyle, pen: 'thin' | 'medium' | 'thick'): Promise<string> {
  await page.click(`button[data-pen="${pen}"]`);
  await drawPath(page, helloPath(style));
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
    const pens = ['medium', 'thin', 'thick'] as const;
    for (let i = 0; i < 12; i++) {
      const slant = -0.25 + (0.75 * ((i * 7) % 12)) / 11;
      const status = await sendHello(desk, { slant, size: 0.55 + 0.1 * ((i * 5) % 4), left: 0.08 + 0.02 * (i % 3) }, pens[i % 3]!);
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
    await sendHello(phone, { slant: 0.2, size: 0.62, left: 0.1 }, 'medium');
    await drawPath(phone, helloPath({ slant: 0.3, size: 0.62, left: 0.1 }));
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
