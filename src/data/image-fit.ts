/** How a picture of another shape is brought to the target's: cut, framed, or distorted. Browser-safe. */
export type ImageFit = 'crop' | 'pad' | 'stretch';
export const IMAGE_FITS: readonly ImageFit[] = ['crop', 'pad', 'stretch'];
