/**
 * What the pages need to know about a run's data to show it and speak of it: the image's
 * channels and size (colour or grey, CHW), the class names for legends and labels, and the
 * noun a person reads ("digit" only for digit data). A checkpoint from before the run kept
 * its data record is read as its dataset implies (dataDescriptionOf).
 */
import { dataDescriptionOf, type RunConfig } from '../train/config.js';
import { channelsOf } from '../vae/config.js';

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

export function pageDataOf(config: RunConfig): PageData {
  const { classNames, noun } = dataDescriptionOf(config);
  return { channels: channelsOf(config.model), height: config.model.imageHeight, width: config.model.imageWidth, classNames, noun };
}
