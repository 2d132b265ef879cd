import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/random.js';

/** xoshiro128** and splitmix32 written out again with BigInt, as an independent reference. */
function referenceStream(seed: number, count: number): number[] {
  const M = 0xffffffffn;
  let s = BigInt(seed);
  const mix = (): bigint => {
    s = (s + 0x9e3779b9n) & M;
    let z = s;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    return (z ^ (z >> 16n)) & M;
  };
  const st = [mix(), mix(), mix(), mix()];
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((st[1]! * 5n) & M, 7n) * 9n) & M));
    const t = (st[1]! << 9n) & M;
    st[2] = st[2]! ^ st[0]!;
    st[3] = st[3]! ^ st[1]!;
    st[1] = st[1]! ^ st[2];
    st[0] = st[0]! ^ st[3];
    st[2] = st[2] ^ t;
    st[3] = rotl(st[3], 11n);
  }
  return out;
}

test('the generator is xoshiro128** seeded by splitmix32', () => {
  for (const seed of [0, 1, 42, 0xffffffff]) {
    const r = new Random(seed);
    const got = Array.from({ length: 100 }, () => r.nextUint32());
    assert.deepEqual(got, referenceStream(seed, 100));
  }
});

test('same seed, same stream; saved state resumes the stream exactly', () => {
  const a = new Random(7);
  const b = new Random(7);
  assert.deepEqual(a.fillNormal(new Float32Array(10)), b.fillNormal(new Float32Array(10)));
  const saved = a.getState();
  const next = a.fillUniform(new Float32Array(5));
  assert.deepEqual(Random.fromState(saved).fillUniform(new Float32Array(5)), next);
  assert.notDeepEqual(new Random(8).fillUniform(new Float32Array(5)), new Random(7).fillUniform(new Float32Array(5)));
});

test('normal draws have mean 0 and variance 1; uniforms stay in [0, 1)', () => {
  const r = new Random(3);
  const x = r.fillNormal(new Float32Array(200001));
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  const variance = s2 / x.length - mean * mean;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.01, `variance ${variance}`);
  const u = r.fillUniform(new Float32Array(100000));
  assert.ok(u.every((v) => v >= 0 && v < 1));
});

test('int is uniform over its range and permutation is a permutation', () => {
  const r = new Random(4);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]! += 1;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `counts ${counts}`);
  const p = r.permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.throws(() => new Random(-1), RangeError);
  assert.throws(() => new Random(1.5), RangeError);
  assert.throws(() => Random.fromState([0, 0, 0, 0]), RangeError);
});
