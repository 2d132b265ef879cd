/**
 * What the pages need to know about a run's data to show it and speak of it: the image's
 * channels and size (colour or grey, CHW), the class names for legends and labels, and the
 * noun a person reads ("digit" only for digit data). Read from the run config's `data`
 * record; a checkpoint from before that record existed is read as its dataset implies.
 */
import type { RunConfig } from '../train/config.js';
import { FASHION_MNIST_CLASSES } from '../data/fashion-mnist.js';

export interface PageData {
  /** 1 (grey) or 3 (colour); the decoder's outputs are CHW. */
  channels: number;
  height: number;
  width: number;
  /** Label i is called classNames[i]; [] when the data have no names. */
  classNames: string[];
  /** 'digit' only for digit data, else 'image'. */
  noun: 'digit' | 'image';
}

interface RecordedData {
  channels?: unknown;
  height?: unknown;
  width?: unknown;
  classNames?: unknown;
  noun?: unknown;
}

const DIGITS = Array.from({ length: 10 }, (_, d) => String(d));

export function pageDataOf(config: RunConfig): PageData {
  const model = config.model;
  const recorded = (config as RunConfig & { data?: RecordedData }).data;
  const channels = (model as { channels?: number }).channels ?? (typeof recorded?.channels === 'number' ? recorded.channels : 1);
  const base = { channels, height: model.imageHeight, width: model.imageWidth };
  if (recorded !== undefined && Array.isArray(recorded.classNames) && (recorded.noun === 'digit' || recorded.noun === 'image')) {
    return { ...base, classNames: recorded.classNames.map(String), noun: recorded.noun };
  }
  const dataset = config.training.dataset;
  if (dataset === 'mnist' || dataset.startsWith('idx:')) return { ...base, classNames: DIGITS, noun: 'digit' };
  if (dataset === 'fashion-mnist') return { ...base, classNames: [...FASHION_MNIST_CLASSES], noun: 'image' };
  return { ...base, classNames: [], noun: 'image' };
}
