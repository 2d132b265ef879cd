/**
 * The words figures use for the data: "test digits" and "digit 7" for digit data, the class
 * names and "test images" for everything else, so Fashion-MNIST's legend reads "Trouser" and
 * a folder of shapes reads "circle", never "digit 0".
 */
import { DIGIT_CLASSES, type DataDescription } from '../data/dataset.js';
import { CLASS_COLORS, classColor, PRIOR_COLOR } from './palette.js';
import type { LegendItem } from './plot.js';

/** What the data are called: the dataset's description (class names, and "digit" or "image"). */
export type FigureWords = DataDescription;

export const DIGIT_WORDS: FigureWords = { classNames: [...DIGIT_CLASSES], noun: 'digit' };

/** "digits" or "images". */
export function pluralNoun(words: FigureWords): string {
  return `${words.noun}s`;
}

/** "1 test digit", "10,000 test images". */
export function testCount(n: number, words: FigureWords): string {
  return `${n.toLocaleString('en-US')} test ${n === 1 ? words.noun : pluralNoun(words)}`;
}

/** The name of class `label`: its class name, or the number when the data name none. */
export function className(words: FigureWords, label: number): string {
  return words.classNames[label] ?? String(label);
}

/** A class as a legend says it: "digit 7" for digits (where the name is the number), else the name. */
export function classLabel(words: FigureWords, label: number): string {
  return words.noun === 'digit' ? `digit ${className(words, label)}` : className(words, label);
}

/**
 * Legend entries for the classes in a scatter colored by label, then the prior's circles.
 * Without class names the labels present decide: one label means one unnamed collection.
 */
export function classLegend(words: FigureWords, labels: ArrayLike<number>, withPrior: boolean): LegendItem[] {
  let maxLabel = 0;
  for (let i = 0; i < labels.length; i++) maxLabel = Math.max(maxLabel, labels[i]!);
  const classes = words.classNames.length > 0 ? words.classNames.length : maxLabel + 1;
  const shown = Math.min(classes, CLASS_COLORS.length);
  const items: LegendItem[] =
    words.classNames.length === 0 && maxLabel === 0
      ? [{ label: `test ${pluralNoun(words)}`, color: classColor(0), kind: 'point' }]
      : Array.from({ length: shown }, (_, k) => ({
          label: words.classNames.length > 0 ? classLabel(words, k) : `class ${k}`,
          color: classColor(k),
          kind: 'point' as const,
        }));
  // Colors repeat after ten classes; say so rather than list names whose color is ambiguous.
  if (classes > shown) items.push({ label: `+${classes - shown} more (colors repeat)`, color: '#ffffff', kind: 'fill' });
  if (withPrior) {
    items.push({ label: 'N(0, I) 1\u03c3', color: PRIOR_COLOR, kind: 'line' }, { label: 'N(0, I) 2\u03c3', color: PRIOR_COLOR, kind: 'dashed' });
  }
  return items;
}
