/**
 * A factors.json for a run folder, in the shape `vae factors` writes (SPEC "Factors"), made
 * here by the definitions: each measure's direction is the normalized coefficient vector of
 * the least-squares fit of the measure on the posterior means; each dimension tracks the
 * measure it correlates with most. For page tests that need a run with factors without
 * depending on how the command chooses among near ties.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FactorsJson {
  dimensions: Array<{ dim: number; kl: number; active: boolean; factor: string | null; r: number; slope: number; slopeUnits: string; monotonic: boolean }>;
  measures: string[];
  directions: Record<string, { vector: number[]; r: number; units: string }>;
  testImages: number;
}

function units(name: string): string {
  return name.endsWith('_deg') ? 'degrees' : name === 'area' ? 'square pixels' : 'pixels';
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Least squares y ~ c + mu b by the normal equations (latent is small), Gaussian elimination. */
function regress(mu: Float32Array, latent: number, y: number[]): number[] {
  const p = latent + 1;
  const a = Array.from({ length: p }, () => new Float64Array(p + 1));
  for (let i = 0; i < y.length; i++) {
    const x = [1, ...Array.from(mu.subarray(i * latent, (i + 1) * latent))];
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < p; c++) a[r]![c]! += x[r]! * x[c]!;
      a[r]![p]! += x[r]! * y[i]!;
    }
  }
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= p; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return Array.from({ length: latent }, (_, j) => a[j + 1]![p]! / a[j + 1]![j + 1]!);
}

/** Builds and writes factors.json into `dir` from the test set's means and measures. */
export function writeFactorsFixture(dir: string, mu: Float32Array, latent: number, names: readonly string[], measures: Array<Record<string, number>>, kl: number[]): FactorsJson {
  const count = measures.length;
  const directions: FactorsJson['directions'] = {};
  for (const name of names) {
    const y = measures.map((m) => m[name]!);
    const b = regress(mu, latent, y);
    const norm = Math.hypot(...b) || 1;
    const vector = b.map((v) => v / norm);
    const projected = Array.from({ length: count }, (_, i) => vector.reduce((s, v, j) => s + v * mu[i * latent + j]!, 0));
    directions[name] = { vector, r: correlation(projected, y), units: units(name) };
  }
  const dimensions = Array.from({ length: latent }, (_, dim) => {
    const z = Array.from({ length: count }, (_, i) => mu[i * latent + dim]!);
    let best = { name: names[0]!, r: 0 };
    for (const name of names) {
      const r = correlation(z, measures.map((m) => m[name]!));
      if (Math.abs(r) > Math.abs(best.r)) best = { name, r };
    }
    return { dim, kl: kl[dim]!, active: kl[dim]! > 0.01, factor: best.name, r: Math.abs(best.r), slope: Math.sign(best.r), slopeUnits: `${units(best.name)} per sigma`, monotonic: true };
  });
  const factors: FactorsJson = { dimensions, measures: [...names], directions, testImages: count };
  writeFileSync(join(dir, 'factors.json'), JSON.stringify(factors, null, 2));
  return factors;
}
