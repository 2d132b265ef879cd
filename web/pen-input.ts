/**
 * A pen on a canvas: the pointer events of mouse, pen or finger turned into line segments in
 * the coordinates of the drawing behind the canvas (its backing size, whatever the CSS size).
 * One pointer draws at a time, so a second finger or a resting palm does not join the
 * stroke; coalesced events keep fast strokes smooth where the browser batches them.
 */
export type PadPoint = [number, number];

/** What a pad does with its pen: a stroke starts at a point, goes on through points, ends. */
export interface PenStrokes {
  start(p: PadPoint): void;
  extend(p: PadPoint): void;
  end(): void;
}

export function followPen(canvas: HTMLCanvasElement, backing: () => { width: number; height: number }, strokes: PenStrokes): void {
  let active: number | null = null;
  const point = (e: PointerEvent): PadPoint => {
    const box = canvas.getBoundingClientRect();
    const { width, height } = backing();
    return [((e.clientX - box.left) / box.width) * width, ((e.clientY - box.top) / box.height) * height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || active !== null) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    active = e.pointerId;
    strokes.start(point(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== active) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) strokes.extend(point(ev));
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) {
    canvas.addEventListener(type, (e) => {
      if (e.pointerId !== active) return;
      active = null;
      strokes.end();
    });
  }
}

/** Strokes drawn as straight segments between the pointer's samples, a dot where one starts. */
export function segmentStrokes(segment: (from: PadPoint, to: PadPoint) => void): PenStrokes {
  let last: PadPoint | null = null;
  return {
    start(p) {
      last = p;
      segment(p, p);
    },
    extend(p) {
      if (last === null) return;
      segment(last, p);
      last = p;
    },
    end() {
      last = null;
    },
  };
}

/** One round-capped black segment of ink `width` backing pixels wide. */
export function inkSegment(ctx: CanvasRenderingContext2D, from: PadPoint, to: PadPoint, width: number): void {
  ctx.strokeStyle = '#000';
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0], to[1]);
  ctx.stroke();
}

/**
 * A pad's ink shown at its CSS size over the paint already there, or, while nothing is
 * drawn, a faint hint of what to do in its middle.
 */
export function showInk(ctx: CanvasRenderingContext2D, ink: HTMLCanvasElement | null, hint: string, width: number, height: number): void {
  if (ink === null) {
    ctx.fillStyle = '#a9adb7';
    ctx.font = '14px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(hint, width / 2, height / 2);
    return;
  }
  ctx.globalAlpha = 0.92;
  ctx.drawImage(ink, 0, 0, width, height);
  ctx.globalAlpha = 1;
}
