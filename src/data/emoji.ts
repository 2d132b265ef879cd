/**
 * Emoji as a colour dataset: the 64x64 PNG pictures of the npm package
 * emoji-datasource-google (Google's Noto emoji, under the Apache License 2.0), with the
 * emoji categories of its emoji.json as classes. It is not a dependency of the toolkit (the
 * package is 74 MB): it is installed on demand, as Debian's Fashion-MNIST is.
 *
 * The images are every emoji with a Google picture and each of its skin-tone variations:
 * 3,786 pictures in version 16.0.0, less the five skin-tone swatches of the package's
 * "Component" category, which are squares of flat colour rather than emoji: 3,781 images
 * in nine classes. Transparent parts are laid over white, the page emoji are drawn for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import type { DataSplits } from './dataset.js';
import { DEFAULT_TEST_FRACTION, checkFolderSettings, loadPictures, shapeOf, splitPictures, type ImageShape } from './folder.js';
import { folderRecord } from './fingerprint.js';

export const EMOJI_PACKAGE = 'emoji-datasource-google';

/** The classes, in label order: the package's categories in its own (Unicode's) order, less "Component". */
export const EMOJI_CATEGORIES = [
  'Smileys & Emotion',
  'People & Body',
  'Animals & Nature',
  'Food & Drink',
  'Travel & Places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
] as const;

export const EMOJI_INSTALL_HINT = `npm install --no-save ${EMOJI_PACKAGE}`;

interface EmojiEntry {
  image?: unknown;
  category?: unknown;
  sort_order?: unknown;
  has_img_google?: unknown;
  skin_variations?: Record<string, { image?: unknown; has_img_google?: unknown }> | null;
}

/** Where the package is, or a UserError saying how to install it. */
export function emojiPackageDir(): string {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve(`${EMOJI_PACKAGE}/package.json`);
  } catch {
    throw new UserError(`the emoji dataset is not installed: run ${EMOJI_INSTALL_HINT} (74 MB) in the toolkit's folder`);
  }
  return dirname(pkgJson);
}

/** The pictures and their labels, in the package's order (sort_order, then skin tones in the file's order). */
export function emojiFiles(dir: string): { path: string; label: number }[] {
  const metaPath = join(dir, 'emoji.json');
  let entries: EmojiEntry[];
  try {
    entries = JSON.parse(readFileSync(metaPath, 'utf8')) as EmojiEntry[];
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (err) {
    throw new UserError(`cannot read ${metaPath}: ${(err as Error).message}; reinstall it with ${EMOJI_INSTALL_HINT}`);
  }
  const imageDir = join(dir, 'img', 'google', '64');
  const categories: readonly string[] = EMOJI_CATEGORIES;
  const sorted = entries
    .filter((e) => e.has_img_google === true && typeof e.image === 'string' && typeof e.category === 'string')
    .sort((a, b) => Number(a.sort_order ?? 0) - Number(b.sort_order ?? 0));
  const files: { path: string; label: number }[] = [];
  for (const e of sorted) {
    const label = categories.indexOf(e.category as string);
    if (label < 0) continue;
    const images = [e.image as string];
    for (const v of Object.values(e.skin_variations ?? {})) if (v.has_img_google === true && typeof v.image === 'string') images.push(v.image);
    for (const image of images) files.push({ path: join(imageDir, image), label });
  }
  if (files.length < 2 || !existsSync(files[0]!.path)) {
    throw new UserError(`${dir} does not hold the emoji pictures img/google/64/*.png; reinstall it with ${EMOJI_INSTALL_HINT}`);
  }
  return files;
}

export interface EmojiOptions {
  /** Size the pictures are resized to (default 64, their own). */
  size?: number | ImageShape;
  /** 3 (default) or 1: grey. */
  channels?: 1 | 3;
  seed?: number;
  testFraction?: number;
}

export function loadEmoji(options: EmojiOptions = {}): DataSplits {
  const target = shapeOf(options.size ?? 64);
  const fraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  checkFolderSettings(target, fraction);
  const dir = emojiPackageDir();
  const files = emojiFiles(dir);
  // Some emoji are black and white; the set is colour all the same, and so is every picture in it.
  const loaded = loadPictures(files, target, { fit: 'crop', channels: options.channels ?? 3, background: 'white' });
  const description = { classNames: [...EMOJI_CATEGORIES], noun: 'image' as const };
  const { train, test, testIndex } = splitPictures('emoji', loaded, loaded.shape, description, options.seed ?? 1, fraction);
  // A record, as for a folder: another version of the package has other pictures.
  const record = folderRecord(dir, loaded.used, Array.from(testIndex, (i) => loaded.used[i]!.path), 0);
  return { name: 'emoji', train, test, record, ...(loaded.preparation !== '' ? { preparation: loaded.preparation } : {}) };
}
