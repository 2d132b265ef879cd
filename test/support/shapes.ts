/**
 * Generated images with known answers, for the tests of the measures: shapes drawn by
 * supersampling (each pixel the share of its 8x8 sub-samples inside the shape), so their
 * edges are anti-aliased as a scanned or decoded image's are.
 *
 * Coordinates are continuous: pixel (row i, column j) covers [j, j+1] x [i, i+1], y down.
 */

export type Inside = (x: number, y: number) => boolean;

/** A grey image, 1 inside the shape, 0 outside, row-major. */
export function drawGrey(height: number, width: number, inside: Inside, samples = 8): Float32Array {
  const image = new Float32Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      let hits = 0;
      for (let a = 0; a < samples; a++) {
        for (let b = 0; b < samples; b++) if (inside(j + (b + 0.5) / samples, i + (a + 0.5) / samples)) hits++;
      }
      image[i * width + j] = hits / (samples * samples);
    }
  }
  return image;
}

/** An RGB image (CHW) of `colour` on `background` where the shape is, blended by coverage. */
export function drawColour(height: number, width: number, inside: Inside, colour: readonly number[], background: readonly number[]): Float32Array {
  const cover = drawGrey(height, width, inside);
  const plane = height * width;
  const image = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) image[c * plane + p] = background[c]! + (colour[c]! - background[c]!) * cover[p]!;
  }
  return image;
}

/**
 * A bar `barWidth` wide and `barHeight` tall centred at (cx, cy), sheared horizontally so its
 * top leans right by `slantDeg` degrees (negative: left).
 */
export function shearedBar(cx: number, cy: number, barWidth: number, barHeight: number, slantDeg: number): Inside {
  const t = Math.tan((slantDeg * Math.PI) / 180);
  return (x, y) => Math.abs(y - cy) <= barHeight / 2 && Math.abs(x - cx - t * (cy - y)) <= barWidth / 2;
}

/** Points within `strokeWidth / 2` of the segment from (x0, y0) to (x1, y1): a pen stroke with round ends. */
export function stroke(x0: number, y0: number, x1: number, y1: number, strokeWidth: number): Inside {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const r2 = (strokeWidth / 2) ** 2;
  return (x, y) => {
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
    const ex = x - (x0 + t * dx);
    const ey = y - (y0 + t * dy);
    return ex * ex + ey * ey <= r2;
  };
}

export function disc(cx: number, cy: number, radius: number): Inside {
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
}

/** An ellipse with semi-axes a (along angleDeg, counter-clockwise from the x axis as seen on screen) and b. */
export function ellipse(cx: number, cy: number, a: number, b: number, angleDeg: number): Inside {
  const th = (angleDeg * Math.PI) / 180;
  const c = Math.cos(th);
  const s = Math.sin(th);
  return (x, y) => {
    const dx = x - cx;
    const dy = cy - y; // y up, so the angle reads counter-clockwise on screen
    const u = dx * c + dy * s;
    const v = -dx * s + dy * c;
    return (u / a) ** 2 + (v / b) ** 2 <= 1;
  };
}

/** An axis-aligned box. */
export function box(left: number, top: number, boxWidth: number, boxHeight: number): Inside {
  return (x, y) => x >= left && x <= left + boxWidth && y >= top && y <= top + boxHeight;
}
