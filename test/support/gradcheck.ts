/**
 * Gradient checks against central finite differences, shared by the op tests.
 *
 * The check projects the op's output on a random direction r (L = sum(out * r)), so one
 * backward pass with seed r gives dL/dinput, and compares it with
 * (L(x + h) - L(x - h)) / 2h for every input element. Values are float32, so h and the
 * tolerances are sized for float32 rounding, not float64.
 */
import assert from 'node:assert/strict';
import { Random, Tensor } from '../../src/engine/index.js';

const H = 1e-2;

export function randomTensor(rng: Random, shape: number[], low = -1, high = 1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return new Tensor(rng.fillUniform(new Float32Array(n), low, high), shape, { requiresGrad: true });
}

function projected(out: Tensor, r: Float32Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i]! * r[i]!;
  return s;
}

/**
 * Asserts that f's analytic gradient matches finite differences for every input element.
 * `kinkAllowance` is the share of elements allowed to disagree, for whole networks with
 * thousands of ReLUs, where some pre-activation inevitably lies within h of its kink and the
 * difference quotient straddles it; every op in such a network is checked exactly on its own.
 * `elementsPerInput` caps the elements checked in each input, drawn at random (seeded) when an
 * input has more: a whole model's check then costs seconds, and still compares every parameter
 * tensor against finite differences (the ops are checked element by element on their own).
 */
export function gradcheck(
  name: string,
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  seed = 1,
  h = H,
  kinkAllowance = 0,
  elementsPerInput = Infinity,
): void {
  const rng = new Random(seed);
  for (const x of inputs) x.grad = null;
  const out = f(...inputs);
  const r = rng.fillUniform(new Float32Array(out.size), -1, 1);
  out.backward(r);
  let total = 0;
  const bad: string[] = [];
  inputs.forEach((x, which) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ?? new Float32Array(x.size);
    for (const i of elementsToCheck(x.size, elementsPerInput, rng)) {
      const keep = x.data[i]!;
      x.data[i] = keep + h;
      const up = projected(f(...inputs), r);
      x.data[i] = keep - h;
      const down = projected(f(...inputs), r);
      x.data[i] = keep;
      const numeric = (up - down) / (2 * h);
      const a = analytic[i]!;
      const tol = 2e-3 + 2e-2 * Math.max(Math.abs(a), Math.abs(numeric));
      total++;
      if (!(Math.abs(a - numeric) <= tol)) bad.push(`input ${which} element ${i}: analytic ${a}, numeric ${numeric}`);
    }
  });
  assert.ok(bad.length <= kinkAllowance * total, `${name}: ${bad.length} of ${total} elements disagree; first: ${bad.slice(0, 5).join("; ")}`);
}

/** Every index below `size`, or `cap` distinct ones drawn at random, in increasing order. */
function elementsToCheck(size: number, cap: number, rng: Random): number[] {
  const all = Array.from({ length: size }, (_, i) => i);
  if (size <= cap) return all;
  // A partial Fisher-Yates shuffle: the first `cap` entries become a uniform sample.
  for (let k = 0; k < cap; k++) {
    const j = k + Math.floor(rng.uniform() * (size - k));
    [all[k], all[j]] = [all[j]!, all[k]!];
  }
  return all.slice(0, cap).sort((a, b) => a - b);
}
