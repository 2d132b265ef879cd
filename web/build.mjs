// Builds the web app into dist/web: the pages, the training worker, their bundled scripts and the style sheet.
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
  entryPoints: [join(web, 'explorer.ts'), join(web, 'live.ts'), join(web, 'train.ts'), join(web, 'train-worker.ts')],
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ['explorer.html', 'live.html', 'train.html']) copyFileSync(join(web, file), join(out, file));
copyFileSync(join(web, 'style.css'), join(out, 'assets', 'style.css'));
