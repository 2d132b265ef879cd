/**
 * Elementwise ops. Binary ops broadcast in the one way a VAE needs: a row vector ([D] or
 * [1, D]) or a scalar against a matrix [N, D]. Their backward sums the gradient back over
 * the broadcast rows, so a bias-like operand receives the total of every row's gradient.
 */
import { Tensor, gradTarget, kernels, opBuffer, result } from '../tensor.js';

type Operand = Tensor | number;

function asTensor(x: Operand): Tensor {
  return typeof x === 'number' ? new Tensor(Float32Array.of(x), []) : x;
}

/** How an operand's elements map onto the output's: one each, one per column, or one in all. */
type Mode = 'full' | 'row' | 'scalar';

function broadcast(a: Tensor, b: Tensor, op: string): { shape: readonly number[]; aMode: Mode; bMode: Mode } {
  if (a.size === b.size && (a.size === 1 || sameShape(a.shape, b.shape))) {
    return { shape: a.rank >= b.rank ? a.shape : b.shape, aMode: 'full', bMode: 'full' };
  }
  if (b.size === 1) return { shape: a.shape, aMode: 'full', bMode: 'scalar' };
  if (a.size === 1) return { shape: b.shape, aMode: 'scalar', bMode: 'full' };
  if (isRowOf(b, a)) return { shape: a.shape, aMode: 'full', bMode: 'row' };
  if (isRowOf(a, b)) return { shape: b.shape, aMode: 'row', bMode: 'full' };
  throw new RangeError(`${op}: cannot broadcast [${a.shape.join(', ')}] with [${b.shape.join(', ')}]`);
}

function sameShape(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** True when `row` is [D] or [1, D] and `full` has last axis D. */
function isRowOf(row: Tensor, full: Tensor): boolean {
  return row.size === full.cols && row.rows === 1 && row.rank <= 2 && full.rank >= 1;
}

function index(mode: Mode, i: number, cols: number): number {
  return mode === 'full' ? i : mode === 'row' ? i % cols : 0;
}

/**
 * A binary op from its scalar rule: f(x, y) and the partial derivatives dx(x, y, out) and
 * dy(x, y, out). Written once here so each op below is one line of math.
 */
function binary(
  op: string,
  aIn: Operand,
  bIn: Operand,
  f: (x: number, y: number) => number,
  dx: (x: number, y: number, out: number) => number,
  dy: (x: number, y: number, out: number) => number,
): Tensor {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const { shape, aMode, bMode } = broadcast(a, b, op);
  const n = shape.reduce((p, d) => p * d, 1);
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const out = new Float32Array(n);
  const ad = a.data;
  const bd = b.data;
  if (aMode === 'full' && bMode === 'full') for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
  else for (let i = 0; i < n; i++) out[i] = f(ad[index(aMode, i, cols)]!, bd[index(bMode, i, cols)]!);
  return result(op, out, shape, [a, b], (o) => {
    const g = o.grad!;
    const ga = gradTarget(a);
    const gb = gradTarget(b);
    for (let i = 0; i < n; i++) {
      const ia = index(aMode, i, cols);
      const ib = index(bMode, i, cols);
      if (ga) ga[ia]! += g[i]! * dx(ad[ia]!, bd[ib]!, out[i]!);
      if (gb) gb[ib]! += g[i]! * dy(ad[ia]!, bd[ib]!, out[i]!);
    }
  });
}

export function add(a: Operand, b: Operand): Tensor {
  return binary('add', a, b, (x, y) => x + y, () => 1, () => 1);
}

export function sub(a: Operand, b: Operand): Tensor {
  return binary('sub', a, b, (x, y) => x - y, () => 1, () => -1);
}

export function mul(a: Operand, b: Operand): Tensor {
  return binary('mul', a, b, (x, y) => x * y, (_x, y) => y, (x) => x);
}

export function div(a: Operand, b: Operand): Tensor {
  return binary('div', a, b, (x, y) => x / y, (_x, y) => 1 / y, (x, y) => -x / (y * y));
}

/** A unary op from f(x) and its derivative written with x and the output y. */
function unary(op: string, a: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
  const n = a.size;
  const out = new Float32Array(n);
  const ad = a.data;
  for (let i = 0; i < n; i++) out[i] = f(ad[i]!);
  return result(op, out, a.shape, [a], (o) => {
    const g = o.grad!;
    const ga = a.ensureGrad();
    for (let i = 0; i < n; i++) ga[i]! += g[i]! * df(ad[i]!, out[i]!);
  });
}

export function relu(a: Tensor): Tensor {
  const out = opBuffer(a.size, false);
  kernels().relu(a.data, out);
  return result('relu', out, a.shape, [a], (o) => kernels().reluBackward(out, o.grad!, a.ensureGrad()));
}

export function sigmoid(a: Tensor): Tensor {
  return unary('sigmoid', a, stableSigmoid, (_x, y) => y * (1 - y));
}

export function exp(a: Tensor): Tensor {
  return unary('exp', a, Math.exp, (_x, y) => y);
}

export function log(a: Tensor): Tensor {
  return unary('log', a, Math.log, (x) => 1 / x);
}

/** softplus(x) = log(1 + e^x), computed without overflow; its derivative is sigmoid(x). */
export function softplus(a: Tensor): Tensor {
  return unary('softplus', a, log1pExp, stableSigmoid);
}

export function square(a: Tensor): Tensor {
  return unary('square', a, (x) => x * x, (x) => 2 * x);
}

export function neg(a: Tensor): Tensor {
  return unary('neg', a, (x) => -x, () => -1);
}

export function stableSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
