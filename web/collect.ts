/**
 * The drawing page of `vae collect`, made for phones. One word is written on a wide pad
 * whose backing canvas is always 1024 x 256, whatever the screen, so every phone sends a
 * drawing of the same resolution and the same pen width means the same stroke; the pad is
 * only scaled by CSS. Dark ink on a transparent canvas (the page's white and the guide line
 * are CSS behind it, so they are never sent). Send posts the drawing as a PNG with the
 * page's token; the server stores it (src/collect/) and answers with the file's name.
 */
import { sampleFromDrawing, SAMPLE_FRAME } from '../src/collect/ink.js';
import { PEN_WIDTHS, type Pen } from '../src/collect/pens.js';
import { byId, forgetAddressToken } from './dom.js';
import { followPen, type PadPoint } from './pen-input.js';

declare global {
  interface Window {
    collectReady?: boolean;
  }
}

type Point = PadPoint;

class WordPad {
  private readonly ctx: CanvasRenderingContext2D;
  private points: Point[] = [];
  empty = true;
  width: number = PEN_WIDTHS.medium;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onStrokeEnd: () => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    // One pointer at a time: a second finger or a resting palm does not join the stroke.
    followPen(canvas, () => canvas, { start: (p) => this.down(p), extend: (p) => this.extend(p), end: () => this.up() });
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.empty = true;
    this.points = [];
  }

  rgba(): Uint8ClampedArray {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
  }

  private style(): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#111';
    ctx.fillStyle = '#111';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = this.width;
  }

  private down(p: Point): void {
    this.points = [p];
    // A tap is a dot (the i's and the full stops of handwriting).
    this.style();
    this.ctx.beginPath();
    this.ctx.arc(p[0], p[1], this.width / 2, 0, 2 * Math.PI);
    this.ctx.fill();
    this.empty = false;
  }

  /**
   * Smooth strokes: each new point adds a quadratic curve from the middle of the previous
   * segment to the middle of the new one, bending at the point between, so the line has no
   * corners where the touch samples are sparse.
   */
  private extend(p: Point): void {
    const last = this.points[this.points.length - 1];
    // A pad cleared mid-stroke: the rest of that stroke is not drawn.
    if (last === undefined) return;
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 1) return;
    this.points.push(p);
    const n = this.points.length;
    const a = n >= 3 ? mid(this.points[n - 3]!, this.points[n - 2]!) : this.points[n - 2]!;
    const b = mid(this.points[n - 2]!, p);
    this.style();
    this.ctx.beginPath();
    this.ctx.moveTo(a[0], a[1]);
    this.ctx.quadraticCurveTo(this.points[n - 2]![0], this.points[n - 2]![1], b[0], b[1]);
    this.ctx.stroke();
  }

  private up(): void {
    const n = this.points.length;
    if (n >= 2) {
      // The last half segment, which the curves stop short of.
      const a = mid(this.points[n - 2]!, this.points[n - 1]!);
      this.style();
      this.ctx.beginPath();
      this.ctx.moveTo(a[0], a[1]);
      this.ctx.lineTo(this.points[n - 1]![0], this.points[n - 1]![1]);
      this.ctx.stroke();
    }
    this.points = [];
    this.onStrokeEnd();
  }
}

function mid(a: Point, b: Point): Point {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

/** The stored sample, painted as the gallery shows it: ink dark on white. */
function paintStored(canvas: HTMLCanvasElement, sample: Uint8Array | null): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(SAMPLE_FRAME.width, SAMPLE_FRAME.height);
  for (let i = 0; i < SAMPLE_FRAME.width * SAMPLE_FRAME.height; i++) {
    const v = 255 - (sample?.[i] ?? 0);
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

function toBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob === null ? reject(new Error('the drawing could not be encoded')) : resolve(blob)), 'image/png'));
}

function main(): void {
  forgetAddressToken();
  const token = document.querySelector('meta[name="vae-token"]')?.getAttribute('content') ?? '';
  const prompt = document.querySelector('meta[name="collect-prompt"]')?.getAttribute('content') ?? '';
  document.title = `Write “${prompt}”`;
  const send = byId<HTMLButtonElement>('send');
  const clear = byId<HTMLButtonElement>('clear');
  const status = byId<HTMLOutputElement>('status');
  const stored = byId<HTMLCanvasElement>('stored');
  const storedBox = byId<HTMLElement>('stored-box');
  const sentCount = byId<HTMLElement>('sent-count');
  let sending = false;
  let sent = 0;

  const say = (text: string, kind: 'ok' | 'error' | 'busy' | '' = ''): void => {
    status.textContent = text;
    status.className = `collect-status ${kind}`;
  };
  const refresh = (): void => {
    send.disabled = sending || pad.empty;
    clear.disabled = sending || pad.empty;
    // The preview shows only while there is something to send; an empty frame would read as a stored blank.
    storedBox.hidden = pad.empty;
    if (!pad.empty) paintStored(stored, sampleFromDrawing(pad.rgba(), pad.canvas.width, pad.canvas.height));
  };
  // "Saved ..." stays while the next word is written: it is about the last one, and Send says whether this one is sent.
  const pad = new WordPad(byId<HTMLCanvasElement>('pad'), () => {
    if (status.classList.contains('error')) say('');
    refresh();
  });

  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-pen]')) {
    button.addEventListener('click', () => {
      pad.width = PEN_WIDTHS[button.dataset.pen as Pen];
      for (const other of document.querySelectorAll<HTMLButtonElement>('button[data-pen]')) other.setAttribute('aria-pressed', String(other === button));
    });
  }
  clear.addEventListener('click', () => {
    pad.clear();
    say('');
    refresh();
  });
  send.addEventListener('click', async () => {
    if (pad.empty || sending) return;
    sending = true;
    refresh();
    say('Sending…', 'busy');
    try {
      const response = await fetch('/api/samples', {
        method: 'POST',
        headers: { 'content-type': 'image/png', 'x-vae-token': token },
        body: await toBlob(pad.canvas),
        cache: 'no-store',
      });
      const answer = (await response.json().catch(() => ({}))) as { file?: string; error?: string };
      if (response.status === 201 && answer.file !== undefined) {
        pad.clear();
        sent++;
        sentCount.textContent = `${sent} sent from this device`;
        say(`Saved ${answer.file}`, 'ok');
      } else {
        say(`Not saved: ${answer.error ?? `the server answered ${response.status}`}`, 'error');
      }
    } catch {
      say('Not saved: the server cannot be reached. Is vae collect still running?', 'error');
    } finally {
      sending = false;
      refresh();
    }
  });
  refresh();
  window.collectReady = true;
}

main();
