/**
 * The explorer's decoding time per frame, in headless Chromium: `vae serve`'s server on
 * 127.0.0.1 with a checkpoint, its explorer page opened once on the page's pick of kernels
 * (single-threaded wasm on the main thread) and once with `kernels=js`, each timing N decodes
 * of one latent code in the page with performance.now(). Prints one JSON line per kernel.
 *
 *   node dist/bench/explorer-decode.js --checkpoint RUN/checkpoint.safetensors [--frames N]
 *
 * ms_per_frame is the median of the N decodes (after a few unmeasured ones), the number the
 * page itself shows under the decoded image.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';

declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: { vaeExplorer: { kernels: string; decode(z: number[]): number[] } };
declare const performance: { now(): number };

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const WARMUP = 5;

function fail(message: string): never {
  process.stderr.write(`explorer-decode: ${message}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const checkpointAt = argv.indexOf('--checkpoint');
const checkpoint = checkpointAt >= 0 ? argv[checkpointAt + 1] : undefined;
if (checkpoint === undefined || !existsSync(checkpoint)) fail('--checkpoint needs an existing checkpoint file');
const framesAt = argv.indexOf('--frames');
const frames = framesAt >= 0 ? Number(argv[framesAt + 1]) : 50;
if (!Number.isInteger(frames) || frames < 1) fail('--frames needs a whole number from 1');
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing (apt-get install chromium)`);

const server = createExplorerServer({ run: new RunSource(checkpoint, dirname(checkpoint)), web: loadWebApp() });
const base = await listen(server, '127.0.0.1', 0);
const info = (await (await fetch(`${base}api/info`)).json()) as { model: { config: { latent: number; imageHeight: number; imageWidth: number } } };
const { latent, imageHeight, imageWidth } = info.model.config;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
try {
  for (const query of ['', '?kernels=js']) {
    const page = await browser.newPage();
    await page.goto(`${base}${query}`);
    await page.waitForFunction(() => document.body.dataset.model === 'ready', null, { timeout: 0 });
    const result = await page.evaluate(
      ({ n, warmup, dims }) => {
        const explorer = window.vaeExplorer;
        const z = Array.from({ length: dims }, (_, i) => Math.sin(i + 1));
        let pixels = 0;
        for (let i = 0; i < warmup; i++) pixels = explorer.decode(z).length;
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          explorer.decode(z);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        return { kernels: explorer.kernels, pixels, median: times[times.length >> 1]!, best: times[0]! };
      },
      { n: frames, warmup: WARMUP, dims: latent },
    );
    process.stdout.write(
      JSON.stringify({
        kernels: result.kernels,
        ms_per_frame: Number(result.median.toFixed(2)),
        best_ms: Number(result.best.toFixed(2)),
        image: `${imageHeight}x${imageWidth}`,
        pixels: result.pixels,
        frames,
        browser: `chromium ${browser.version()}`,
      }) + '\n',
    );
    await page.close();
  }
} finally {
  await browser.close();
  await shutdown(server);
}
