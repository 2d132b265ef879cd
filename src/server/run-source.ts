/**
 * The run a server shows: its checkpoint (re-read whenever training writes a new one), the
 * encodings of the images the plane shows (the test set; a small collection whole, so a class's
 * few dozen pictures are all on it, with their pictures), and its files, handed out by plain name only.
 */
import { constants, existsSync, lstatSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readRegularFile } from '../io/bounded-read.js';
import { loadDataset } from '../data/source.js';
import { bytesToUnit, valuesPerImage, type DataSplits, type ImageDataset } from '../data/dataset.js';
import { resizeArea } from '../data/image-fit.js';
import { runData } from '../train/config.js';
import { checkLabelsFit } from '../data/labels.js';
import { checkDatasetUnchanged } from '../data/fingerprint.js';
import type { Stages } from '../train/stage-progress.js';
import { datasetOptionsForModel } from '../train/run-data.js';
import { decodeCheckpoint, type TrainingState } from '../train/checkpoint.js';
import { encodeModelPayload } from './model-payload.js';
import { encodeMeansAsync, rounded } from './latent-codes.js';
import { measureImagesAsync, type ImageMeasures } from './image-measures.js';
import { contentType } from './request-path.js';

export interface LoadedModel {
  state: TrainingState;
  /** The weights in the page's format (see model-payload.ts). */
  payload: Uint8Array;
  /** Changes whenever the checkpoint file does: a cache key for the page. */
  version: string;
}

/** A run file opened for streaming; whoever gets it closes the handle. */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
  type: string;
}

/**
 * A collection of at most this many images (train and test together) is shown whole on the
 * explorer's plane, each image as its picture; a larger one by its test set, as dots.
 */
export const SMALL_COLLECTION = 300;

/** Thumbnails are at most this many pixels on their long side: enough for the plane, a bound on the bytes. */
export const THUMBNAIL_SIDE = 128;

/** The posterior means and labels of the images the plane shows, ready for JSON. */
export interface Encodings {
  dataset: string;
  count: number;
  latent: number;
  labels: number[];
  /** count * latent means, row-major. */
  mu: number[];
  /**
   * The first `heldOut` images are the test set's; the rest (a small collection shown whole)
   * were trained on. Equal to count when only the test set is shown.
   */
  heldOut: number;
}

/** The pictures of the images the plane shows, in the order of the encodings, at thumbnail size. */
export interface Thumbnails {
  count: number;
  channels: number;
  height: number;
  width: number;
  /** count x channels x height x width bytes, CHW per picture. */
  bytes: Uint8Array;
}

/** The images the plane shows: the test set first, then (for a small collection) the training images. */
interface ShownImages {
  images: ImageDataset;
  heldOut: number;
  /** A small collection, shown whole. */
  whole: boolean;
}

export class RunSource {
  private loaded: LoadedModel | null = null;
  private encoded: { version: string; result: Promise<Encodings> } | null = null;
  private shown: ShownImages | null = null;
  private measured: Promise<ImageMeasures> | null = null;
  private thumbnailed: Thumbnails | null = null;
  /** Where loading and encoding the test set are reported (`vae serve` shows them), if anywhere. */
  progress: Stages | null = null;

  /**
   * @param checkpointFile the checkpoint's path; it may not exist yet while a run is in its first epoch
   * @param filesDir the run folder whose files are served by name, or null for none
   */
  constructor(
    readonly checkpointFile: string,
    readonly filesDir: string | null,
  ) {}

  /** The current model, or null when no checkpoint has been written yet. */
  model(): LoadedModel | null {
    if (!existsSync(this.checkpointFile)) return null;
    const st = statSync(this.checkpointFile);
    const version = `${st.mtimeMs.toFixed(0)}-${st.size}`;
    if (this.loaded?.version !== version) {
      const state = decodeCheckpoint(readRegularFile(this.checkpointFile, 'checkpoint'), this.checkpointFile);
      this.loaded = { state, payload: encodeModelPayload(state.model, { epoch: state.epoch }), version };
    }
    return this.loaded;
  }

  /** Encodes the run's test set with the current model, once per checkpoint. */
  encodings(loaded: LoadedModel): Promise<Encodings> {
    if (this.encoded?.version !== loaded.version) {
      const result = this.encode(loaded.state);
      this.encoded = { version: loaded.version, result };
      // A failed encoding (say, the run's dataset folder is gone) is retried on the next request.
      result.catch(() => {
        if (this.encoded?.result === result) this.encoded = null;
      });
    }
    return this.encoded.result;
  }

  /** Whether the run folder holds this plain name as a regular file (not a link) of a known type. */
  hasFile(name: string): boolean {
    if (this.filesDir === null || contentType(name) === null) return false;
    try {
      return lstatSync(join(this.filesDir, name)).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Opens a file of the run folder by plain name: a regular file with a known type, or null.
   * The name has no slashes (request-path.ts), so it names an entry of the folder itself;
   * O_NOFOLLOW refuses a link there, and O_NONBLOCK keeps a FIFO from blocking the open.
   * What was opened is checked on the handle, so nothing can be swapped in between.
   */
  async openFile(name: string): Promise<OpenedFile | null> {
    if (this.filesDir === null) return null;
    const type = contentType(name);
    if (type === null) return null;
    let handle: FileHandle;
    try {
      handle = await open(join(this.filesDir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return null;
    }
    try {
      const st = await handle.stat();
      if (st.isFile()) return { handle, size: st.size, type };
    } catch {
      // fall through: not a file we can hand out
    }
    await handle.close();
    return null;
  }

  /**
   * The measures of the images the plane shows (slant, thickness, ... or brightness, hue, ...),
   * in the order of the encodings: computed once, since the images do not change with the model.
   */
  measures(loaded: LoadedModel): Promise<ImageMeasures> {
    if (this.measured === null) {
      const result = (async () => {
        const { images: test, heldOut } = this.loadShownImages(loaded.state);
        const measuring = this.progress?.start(`measuring the ${heldOut === test.count ? 'test ' : ''}images`, { total: test.count, unit: 'images' });
        try {
          const m = await measureImagesAsync(test, (n) => measuring?.update(n));
          measuring?.finish();
          return m;
        } catch (err) {
          measuring?.finish(true);
          throw err;
        }
      })();
      this.measured = result;
      result.catch(() => {
        if (this.measured === result) this.measured = null;
      });
    }
    return this.measured;
  }

  /**
   * The pictures of a small collection's images, in the order of the encodings, for the plane to
   * show each at its code; null for a larger one (its plane shows its test set as dots). Made once.
   */
  thumbnails(loaded: LoadedModel): Thumbnails | null {
    const { images, whole } = this.loadShownImages(loaded.state);
    if (!whole) return null;
    if (this.thumbnailed === null) this.thumbnailed = thumbnailsOf(images);
    return this.thumbnailed;
  }

  private loadShownImages(state: TrainingState): ShownImages {
    if (this.shown === null) {
      // Folder images at the model's size, split by the run's seed, as training saw them.
      const loading = this.progress?.start(`loading ${state.config.training.dataset}`);
      let data: DataSplits;
      try {
        const loaded = loadDataset(state.config.training.dataset, datasetOptionsForModel(state));
        checkDatasetUnchanged(state.dataset, loaded.record, state.config.training.dataset, "the explorer would place other images than the run's. Restore the folder, or train a new run on it");
        data = runData(loaded, state.config.training);
      } catch (err) {
        loading?.finish(true);
        throw err;
      }
      loading?.finish();
      if (valuesPerImage(data.test) !== state.model.config.inputDim) {
        throw new UserError(`the run's dataset has ${valuesPerImage(data.test)} pixels per image, the model expects ${state.model.config.inputDim}`);
      }
      checkLabelsFit('', state.model.classes, data.test, 'test');
      const whole = data.train.count + data.test.count <= SMALL_COLLECTION;
      if (whole) checkLabelsFit('', state.model.classes, data.train, 'training');
      this.shown = { images: whole ? joinImages(data.test, data.train) : data.test, heldOut: data.test.count, whole };
    }
    return this.shown;
  }

  private async encode(state: TrainingState): Promise<Encodings> {
    const { images: test, heldOut } = this.loadShownImages(state);
    const what = heldOut === test.count ? 'the test set' : `all ${test.count} images (${heldOut} held out for testing)`;
    const encoding = this.progress?.start(`encoding ${what} with the epoch ${state.epoch} model`, { total: test.count, unit: 'images' });
    let mu: Float32Array;
    try {
      mu = await encodeMeansAsync(state.model, test.pixels, test.count, valuesPerImage(test), test.labels, (n) => encoding?.update(n));
    } catch (err) {
      encoding?.finish(true);
      throw err;
    }
    encoding?.finish();
    return {
      dataset: state.config.training.dataset,
      count: test.count,
      latent: state.model.config.latent,
      labels: Array.from(test.labels),
      mu: rounded(mu),
      heldOut,
    };
  }
}

/** Two datasets of one shape as one, `first`'s images first. */
function joinImages(first: ImageDataset, second: ImageDataset): ImageDataset {
  const pixels = new Uint8Array(first.pixels.length + second.pixels.length);
  pixels.set(first.pixels);
  pixels.set(second.pixels, first.pixels.length);
  const labels = new Uint8Array(first.count + second.count);
  labels.set(first.labels);
  labels.set(second.labels, first.count);
  return { ...first, pixels, labels, count: first.count + second.count };
}

/** The images as bytes, shrunk by area averaging when their long side is above THUMBNAIL_SIDE. */
function thumbnailsOf(images: ImageDataset): Thumbnails {
  const { count, channels, height, width } = images;
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(height, width));
  const h = Math.max(1, Math.round(height * scale));
  const w = Math.max(1, Math.round(width * scale));
  if (h === height && w === width) return { count, channels, height, width, bytes: images.pixels.subarray(0, count * channels * height * width) };
  const bytes = new Uint8Array(count * channels * h * w);
  const plane = height * width;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < channels; c++) {
      const start = (i * channels + c) * plane;
      const small = resizeArea(bytesToUnit(images.pixels.subarray(start, start + plane)), width, height, w, h);
      const at = (i * channels + c) * h * w;
      for (let p = 0; p < h * w; p++) bytes[at + p] = Math.round(255 * Math.min(1, Math.max(0, small[p]!)));
    }
  }
  return { count, channels, height: h, width: w, bytes };
}
