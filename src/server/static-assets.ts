/**
 * The web app's built files (dist/web, written by web/build.mjs at install time), read once
 * into memory: a few hundred kilobytes, and nothing on disk is looked up per request.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { contentType } from './request-path.js';

export interface Asset {
  bytes: Buffer;
  type: string;
}

export interface WebApp {
  /** The two pages. */
  explorer: Asset;
  live: Asset;
  /** Scripts, styles and source maps by file name. */
  assets: Map<string, Asset>;
}

/** dist/web, next to dist/src where this module runs from. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export function loadWebApp(dir = WEB_DIR): WebApp {
  const page = (name: string): Asset => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new UserError(`the web app is not built (${path} is missing); run npm install or npm run build`);
    return { bytes: readFileSync(path), type: contentType(name)! };
  };
  const explorer = page('explorer.html');
  const live = page('live.html');
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'assets');
  for (const entry of existsSync(assetDir) ? readdirSync(assetDir, { withFileTypes: true }) : []) {
    const type = contentType(entry.name);
    if (entry.isFile() && type !== null) assets.set(entry.name, { bytes: readFileSync(join(assetDir, entry.name)), type });
  }
  return { explorer, live, assets };
}
