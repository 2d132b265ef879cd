/** The loss chart of the live page: every step's loss as a line, epoch means as dots. */
import { fitCanvas, formatTick, niceTicks } from './dom.js';

const M = { left: 48, right: 12, top: 10, bottom: 34 };

export interface LossSeries {
  steps: [number, number][];
  train: [number, number][];
  test: [number, number][];
}

export function drawLossChart(canvas: HTMLCanvasElement, width: number, height: number, s: LossSeries): void {
  const ctx = fitCanvas(canvas, width, height);
  ctx.clearRect(0, 0, width, height);
  const pw = width - M.left - M.right;
  const ph = height - M.top - M.bottom;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(M.left, M.top, pw, ph);
  const all = [...s.steps, ...s.train, ...s.test];
  if (all.length === 0) {
    ctx.fillStyle = '#8a91a0';
    ctx.font = '13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText('the curve starts with the first step', M.left + pw / 2, M.top + ph / 2);
    return;
  }
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  // The first steps' loss is far above the rest; leave it off the top so the descent is visible.
  const skip = Math.floor(s.steps.length * 0.03);
  const ys = [...s.steps.slice(skip), ...s.train, ...s.test].map((p) => p[1]);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  const pad = Math.max((yMax - yMin) * 0.08, 1);
  yMin -= pad;
  yMax += pad;
  const X = (v: number): number => M.left + (v / xMax) * pw;
  const Y = (v: number): number => M.top + (1 - (v - yMin) / (yMax - yMin)) * ph;

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#eceef2';
  ctx.fillStyle = '#5b6474';
  ctx.lineWidth = 1;
  for (const t of niceTicks(yMin, yMax, 5)) {
    const y = Math.round(Y(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(M.left, y);
    ctx.lineTo(M.left + pw, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(formatTick(t), M.left - 6, y);
  }
  for (const t of niceTicks(0, xMax, width < 420 ? 4 : 7)) {
    const x = Math.round(X(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, M.top);
    ctx.lineTo(x, M.top + ph);
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(formatTick(t), x, M.top + ph + 5);
  }
  ctx.fillStyle = '#2b3140';
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'bottom';
  ctx.fillText('optimizer step', M.left + pw / 2, height - 2);

  ctx.save();
  ctx.beginPath();
  ctx.rect(M.left, M.top, pw, ph);
  ctx.clip();
  ctx.strokeStyle = '#a3a9b5';
  ctx.lineWidth = 1;
  ctx.beginPath();
  s.steps.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(X(x), Y(y)) : ctx.lineTo(X(x), Y(y))));
  ctx.stroke();
  for (const [series, color] of [
    [s.train, '#4e79a7'],
    [s.test, '#f28e2b'],
  ] as const) {
    ctx.fillStyle = color;
    for (const [x, y] of series) {
      ctx.beginPath();
      ctx.arc(X(x), Y(y), 4, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
  ctx.strokeStyle = '#9aa3b2';
  ctx.strokeRect(M.left + 0.5, M.top + 0.5, pw - 1, ph - 1);
}
