/**
 * The collect page's pens, shared by the page (web/collect.ts) and by whatever draws on its
 * behalf (the test's generated hellos), so a "thick" hello drawn by a script is the stroke a
 * person's thick pen makes. Widths are in the pad's backing-canvas pixels (1024 x 256 for any
 * screen): about 1, 1.6 and 2.7 pixels in a stored 32 x 128 sample of a word across the pad.
 * Browser-safe: no Node imports.
 */
export const PEN_WIDTHS = { thin: 7, medium: 12, thick: 20 } as const;
export type Pen = keyof typeof PEN_WIDTHS;
export const PENS: readonly Pen[] = ['thin', 'medium', 'thick'];
