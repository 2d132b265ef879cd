// Builds the web app into dist/web: the pages (vae collect's too), the training worker and the wasm helper worker, their bundled scripts and the style sheet.
// Bundling for the browser platform fails on any import of a Node built-in, which keeps the
// modules the page shares with Node (engine, kernels, VAE, model payload) browser-safe.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
const out = join(web, '..', 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

await build({
  entryPoints: {
    explorer: join(web, 'explorer.ts'),
    live: join(web, 'live.ts'),
    train: join(web, 'train.ts'),
    'train-worker': join(web, 'train-worker.ts'),
    collect: join(web, 'collect.ts'),
    gallery: join(web, 'gallery.ts'),
    // The wasm kernels' helper workers, started by the training worker for threads.
    'wasm-browser-helper': join(web, '..', 'src', 'kernels', 'wasm-browser-helper.ts'),
  },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ['explorer.html', 'live.html', 'train.html', 'collect.html', 'gallery.html']) copyFileSync(join(web, file), join(out, file));
copyFileSync(join(web, 'style.css'), join(out, 'assets', 'style.css'));
copyFileSync(join(web, 'collect.css'), join(out, 'assets', 'collect.css'));
