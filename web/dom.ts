/** Small DOM and canvas helpers shared by the explorer and the live dashboard. */

type Child = Node | string;

/** An element with attributes and children, in one expression. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`page has no #${id}`);
  return node as T;
}

/**
 * Sizes a canvas for crisp drawing on high-density screens: the backing store is `cssWidth x
 * cssHeight` device pixels, and the returned context draws in CSS pixels.
 */
export function fitCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number): CanvasRenderingContext2D {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const w = Math.max(1, Math.round(cssWidth * dpr));
  const h = Math.max(1, Math.round(cssHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * Paints a grey image (values in [0, 1], 1 = ink) into a canvas of exactly `width x height`
 * pixels; CSS scales it up with `image-rendering: pixelated`. Ink is dark on paper.
 */
export function paintDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, width: number, height: number, scale = 1): void {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(1, pixels[i]! / scale));
    // Paper #fbfaf7 to ink #1d2433: a warm page with dark blue-black strokes.
    image.data[4 * i] = Math.round(251 - v * (251 - 29));
    image.data[4 * i + 1] = Math.round(250 - v * (250 - 36));
    image.data[4 * i + 2] = Math.round(247 - v * (247 - 51));
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/**
 * Paints an image the model's way round: grey (channels 1) as paintDigit does, ink dark on
 * paper; colour (channels 3, planes R, G, B one after another, CHW, values in [0, 1]) as it is.
 */
export function paintImage(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, channels: number, width: number, height: number, scale = 1): void {
  if (channels !== 3) {
    paintDigit(canvas, pixels, width, height, scale);
    return;
  }
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 * Math.max(0, Math.min(1, pixels[c * plane + i]! / scale)));
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** A new canvas for a digit, shown at `size` CSS pixels. */
export function digitCanvas(size: number, className = 'digit'): HTMLCanvasElement {
  const c = el('canvas', { class: className, width: '28', height: '28' });
  c.style.width = `${size}px`;
  c.style.height = `${size}px`;
  return c;
}

/**
 * Gives an image canvas the image's proportions (its CSS width stays; the height follows). The
 * canvas takes the image's size at once, and its natural ratio sets the picture's box inside
 * any border, so a 4:1 word is 4:1 exactly, painted or not.
 */
export function shapeCanvas(canvas: HTMLCanvasElement, width: number, height: number): HTMLCanvasElement {
  canvas.width = width;
  canvas.height = height;
  canvas.style.aspectRatio = `auto ${width} / ${height}`;
  canvas.style.height = 'auto';
  return canvas;
}

/** Round tick positions covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
  return ticks;
}

export function formatTick(v: number): string {
  const s = Math.abs(v) < 1e-9 ? '0' : Number(v.toPrecision(4)).toString();
  return s.replace('-', '\u2212');
}

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?:??';
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Ten colors that stay apart from each other on a light background, one per digit class. */
export const DIGIT_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#d4a514',
  '#b07aa1',
  '#ff7f9f',
  '#9c755f',
  '#6b6b6b',
];

/** The color of class `label`: the ten digit colors, then the same hues again (a legend names them). */
export function classColor(label: number): string {
  return DIGIT_COLORS[label % DIGIT_COLORS.length]!;
}

/** A class's name for a person: its name when the data have names, else "class k". */
export function className(names: readonly string[], label: number): string {
  return names[label] ?? `class ${label}`;
}

/** The legend of digit colors: a row of swatches labeled 0 to 9. */
export function digitLegend(): HTMLElement {
  return classLegend(Array.from({ length: 10 }, (_, d) => String(d)), 10);
}

/** The legend of class colors: one swatch per class, labeled with its name. */
export function classLegend(names: readonly string[], classes: number): HTMLElement {
  return el(
    'div',
    { class: 'legend', 'aria-label': 'class colors' },
    ...Array.from({ length: classes }, (_, k) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = classColor(k);
      return el('span', { class: 'legend-item' }, swatch, className(names, k));
    }),
  );
}

/**
 * A sequential color for t in [0, 1]: dark blue-violet through magenta and orange to pale
 * yellow (the figures' map, src/viz/palette.ts), for dots colored by a measure.
 */
export function valueColor(t: number): string {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (SEQUENTIAL.length - 1);
  const i = Math.min(SEQUENTIAL.length - 2, Math.floor(x));
  const f = x - i;
  const a = SEQUENTIAL[i]!;
  const b = SEQUENTIAL[i + 1]!;
  return `rgb(${Math.round(a[0] + (b[0] - a[0]) * f)}, ${Math.round(a[1] + (b[1] - a[1]) * f)}, ${Math.round(a[2] + (b[2] - a[2]) * f)})`;
}

const SEQUENTIAL: Array<[number, number, number]> = [
  [12, 7, 46],
  [84, 18, 123],
  [165, 44, 118],
  [232, 93, 68],
  [252, 176, 60],
  [252, 253, 191],
];

/** A colour bar for dots colored by a measure: the map from `min` to `max`, named. */
export function valueLegend(name: string, min: number, max: number): HTMLElement {
  const bar = el('span', { class: 'colour-bar' });
  bar.style.background = `linear-gradient(to right, ${Array.from({ length: 11 }, (_, i) => valueColor(i / 10)).join(', ')})`;
  return el('div', { class: 'legend value-legend', 'aria-label': `${name} colors` }, el('span', {}, formatTick(Number(min.toPrecision(3)))), bar, el('span', {}, formatTick(Number(max.toPrecision(3)))), el('span', { class: 'legend-name' }, name));
}

/**
 * A state-changing request to the page's server: it carries the token the server put into the
 * page (src/server/guard.ts), and the browser adds the Origin the server checks.
 */
export function postToServer(path: string): Promise<Response> {
  const token = document.querySelector('meta[name="vae-token"]')?.getAttribute('content') ?? '';
  return fetch(path, { method: 'POST', headers: { 'X-VAE-Token': token }, cache: 'no-store' });
}

/**
 * Takes `?token=` out of the address bar once the page is in (the server has set its cookie
 * by then), so the secret does not linger in history or get copied along with the link.
 */
export function forgetAddressToken(): void {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}
