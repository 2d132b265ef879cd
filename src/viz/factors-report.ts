/**
 * The hidden factors of a run as files: factors.json, latent_traversals.png, the measure-
 * coloured scatters of a 2-D model, the report's "hidden factors" section and the table that
 * `vae factors` prints. `vae factors`, `vae train` and `vae report` all come here.
 */
import { escapeHtml, figureHtml, type ReportFigure } from './report.js';
import { activeByKl, dimensionName, measureScatterFigure, signed, traversalsFigure } from './factor-figures.js';
import { ACTIVE_KL_NATS, MONOTONIC_TOLERANCE, TRAVERSAL_SIGMAS, measureLabel, type FactorAnalysis, type FactorsFile } from '../train/factors.js';
import { minimumRows } from '../train/partial-correlation.js';

export const FACTORS_FILE = 'factors.json';
export const TRAVERSALS_FILE = 'latent_traversals.png';

/** The measures a 2-D model's plane is coloured by, and their files: the explainer's slant, thickness, width. */
export const SCATTER_MEASURES: ReadonlyArray<readonly [measure: string, file: string]> = [
  ['slant_deg', 'latent_scatter_slant.png'],
  ['thickness', 'latent_scatter_thickness.png'],
  ['width', 'latent_scatter_width.png'],
];

export interface FactorFiles {
  /** factors.json, as written. */
  json: string;
  /** latent_traversals.png, then the measure scatters of a 2-D model, with titles and captions. */
  figures: ReportFigure[];
  /** The report's section: the table and the figures. */
  html: string;
}

export interface FactorImageShape {
  channels: number;
  height: number;
  width: number;
  /** 'digit' or 'image': what one item is called in words. */
  noun: string;
}

/** factors.json's text: the shape of FactorsFile, numbers rounded to what they can tell. */
export function factorsJson(file: FactorsFile): string {
  const round = (v: number, digits: number): number => Number(v.toFixed(digits));
  const out = {
    dimensions: file.dimensions.map((d) => ({
      dim: d.dim,
      kl: round(d.kl, 4),
      active: d.active,
      factor: d.factor,
      r: d.r === null ? null : round(d.r, 4),
      slope: d.slope === null ? null : round(d.slope, 4),
      slopeUnits: d.slopeUnits,
      monotonic: d.monotonic,
      confirmed: d.confirmed,
      partial: Object.fromEntries(Object.entries(d.partial).map(([m, r]) => [m, round(r, 4)])),
    })),
    measures: file.measures,
    directions: Object.fromEntries(
      Object.entries(file.directions).map(([m, d]) => [m, { vector: d.vector.map((v) => round(v, 5)), r: round(d.r, 4), units: d.units }]),
    ),
    withinClass:
      file.withinClass === null ? null : Object.fromEntries(Object.entries(file.withinClass).map(([m, w]) => [m, { r: round(w.r, 4), classes: w.classes }])),
    testImages: file.testImages,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

export function renderFactorFiles(analysis: FactorAnalysis, shape: FactorImageShape): FactorFiles {
  const { channels, height, width, noun } = shape;
  const n = analysis.file.testImages;
  const figures: ReportFigure[] = [
    {
      file: TRAVERSALS_FILE,
      title: 'Latent traversals',
      caption:
        `Each active latent dimension (KL above ${ACTIVE_KL_NATS} nats), most informative first, moved alone from \u22123\u03c3 to +3\u03c3 ` +
        `while the others stay at the mean code of the ${n.toLocaleString('en-US')} test ${noun}s; each row is labelled with the measure it tracks best ` +
        '(largest partial correlation with the posterior means, given the other dimensions) and how much that measure changes per \u03c3 along the row.',
      bytes: traversalsFigure(analysis, channels, height, width, noun),
    },
  ];
  const latent = analysis.file.dimensions.length;
  if (latent === 2) {
    for (const [measure, file] of SCATTER_MEASURES) {
      const values = analysis.measured[measure];
      if (values === undefined) continue;
      const label = measureLabel(measure);
      const direction = analysis.file.directions[measure];
      figures.push({
        file,
        title: `The latent plane coloured by ${label}`,
        caption:
          `Each test ${noun} at its posterior mean, coloured by the ${label} of its image (${direction?.units ?? ''}). ` +
          `Where the colour changes steadily along one direction, that direction of the plane is the ${label} of the ${noun}s; ` +
          `the arrow is the direction a linear fit finds (R = ${(direction?.r ?? 0).toFixed(2)}).`,
        bytes: measureScatterFigure({ mu: analysis.mu, count: n, values, measure, direction, noun }),
      });
    }
  }
  return { json: factorsJson(analysis.file), figures, html: factorsSectionHtml(analysis.file, figures) };
}

function formatSlope(slope: number): string {
  const a = Math.abs(slope);
  return signed(slope, a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** The report's "Hidden factors" section. */
export function factorsSectionHtml(file: FactorsFile, figures: ReportFigure[]): string {
  const rows = [...activeByKl(file.dimensions), ...file.dimensions.filter((d) => !d.active)].map((d) => {
    const cells = [
      `<td>${escapeHtml(dimensionName(d.dim))}</td>`,
      `<td class="num">${d.kl.toFixed(3)}</td>`,
      `<td>${d.active ? 'yes' : 'no'}</td>`,
      `<td>${d.factor === null ? '\u2013' : escapeHtml(measureLabel(d.factor))}</td>`,
      `<td class="num">${d.r === null ? '\u2013' : signed(d.r, 2)}</td>`,
      `<td class="num">${d.slope === null ? '\u2013' : escapeHtml(`${formatSlope(d.slope)} ${d.slopeUnits ?? ''}`)}</td>`,
      `<td>${d.monotonic === null ? '\u2013' : d.monotonic ? 'yes' : 'no'}</td>`,
      `<td>${d.confirmed === null ? '\u2013' : d.confirmed ? 'yes' : 'no'}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<section id="hidden-factors">
<h2>Hidden factors</h2>
<p>What each latent dimension means. Every test image is measured (Morpho-MNIST measures for glyphs: area, stroke length, thickness, slant, width, height; colour, size and position for other pictures), and each dimension is named after the measure its posterior means track best, by partial correlation r given the other dimensions. The decoder confirms it: moving the dimension alone from \u22123\u03c3 to +3\u03c3 (${TRAVERSAL_SIGMAS.length} steps) and measuring the decoded images gives the slope, and whether the measure changes one way all along (allowing steps back of ${Math.round(MONOTONIC_TOLERANCE * 100)}% of its range); confirmed: monotonic, and in the direction r says. Active: KL above ${ACTIVE_KL_NATS} nats. ${file.testImages.toLocaleString('en-US')} test images.${tooFewImages(file) === '' ? '' : ` <strong>${escapeHtml(tooFewImages(file))}</strong>`}</p>
<table class="factors">
<tr><th>dimension</th><th>KL (nats)</th><th>active</th><th>tracks</th><th>partial r</th><th>slope along the traversal</th><th>monotonic</th><th>confirmed</th></tr>
${rows.join('\n')}
</table>
<p>How well the posterior means predict each measure by a linear fit (multiple correlation R), over all the test images${file.withinClass === null ? '' : ', and within each class (a fit per class, averaged): a style can run along a different direction in each class\u2019s region of the latent space'}.</p>
<table class="factors">
<tr><th>measure</th><th>R, all images</th>${file.withinClass === null ? '' : '<th>R, within each class</th>'}</tr>
${file.measures
  .map((m) => `<tr><td>${escapeHtml(measureLabel(m))}</td><td class="num">${fittedR(file, file.directions[m]!.r)}</td>${file.withinClass === null ? '' : `<td class="num">${fittedR(file, file.withinClass[m]!.r)}</td>`}</tr>`)
  .join('\n')}
</table>
${figures.map(figureHtml).join('\n')}
</section>`;
}

/** A multiple correlation R for the report, or a dash when there were too few images to fit one. */
function fittedR(file: FactorsFile, r: number): string {
  return tooFewImages(file) === '' ? r.toFixed(2) : '\u2013';
}

/**
 * Why no dimension is named, when the test set is too small for partial correlations over all
 * the latent dimensions; '' when it is large enough.
 */
export function tooFewImages(file: FactorsFile): string {
  const needed = minimumRows(file.dimensions.length);
  if (file.testImages >= needed) return '';
  return (
    `Too few test images to name the factors: partial correlations over ${file.dimensions.length} latent dimensions need at least ${needed}, ` +
    `and there are ${file.testImages}. A larger test share (--test-fraction) or fewer latent dimensions (--latent) gives them.`
  );
}

/** The table `vae factors` prints. */
export function factorsTableText(file: FactorsFile): string {
  const header = ['dim', 'KL nats', 'active', 'tracks', 'partial r', 'slope per sigma', 'monotonic', 'confirmed'];
  const order = [...activeByKl(file.dimensions), ...file.dimensions.filter((d) => !d.active)];
  const rows = order.map((d) => [
    `z${d.dim + 1}`,
    d.kl.toFixed(3),
    d.active ? 'yes' : 'no',
    d.factor ?? '-',
    d.r === null ? '-' : signed(d.r, 2).replace('\u2212', '-'),
    d.slope === null ? '-' : `${formatSlope(d.slope).replace('\u2212', '-')} ${(d.slopeUnits ?? '').replace(/ per sigma$/, '')}`,
    d.monotonic === null ? '-' : d.monotonic ? 'yes' : 'no',
    d.confirmed === null ? '-' : d.confirmed ? 'yes' : 'no',
  ]);
  const note = tooFewImages(file);
  return alignedTable(header, rows, [1, 4]) + '\n' + measuresTableText(file) + (note === '' ? '' : note + '\n');
}

/** Columns padded to their widest cell; `right` columns (numbers) aligned right. */
function alignedTable(header: string[], rows: string[][], right: number[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((s, c) => (right.includes(c) ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** How well a linear fit on the codes predicts each measure: over all the images, and within each class. */
export function measuresTableText(file: FactorsFile): string {
  const within = file.withinClass;
  const header = ['measure', 'R all images', ...(within === null ? [] : [`R within each class (${Object.values(within)[0]?.classes ?? 0} classes)`])];
  // Too few images for a fit: no R rather than a 0.00 that reads as a measured "no relation".
  const fitted = tooFewImages(file) === '';
  const r = (value: number): string => (fitted ? value.toFixed(2) : '-');
  const rows = file.measures.map((m) => [m, r(file.directions[m]!.r), ...(within === null ? [] : [r(within[m]!.r)])]);
  return alignedTable(header, rows, [1, 2]);
}
