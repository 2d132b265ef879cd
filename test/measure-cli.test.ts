/**
 * `vae measure` on a small generated IDX dataset of bars with known slants: one CSV row per
 * image with the right columns and values, and one-line refusals of bad input.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { drawGrey, shearedBar } from './support/shapes.js';
import { GLYPH_MEASURES } from '../src/measure/index.js';

const root = tempRoot('measure-cli');
after(() => rmSync(root, { recursive: true, force: true }));

/** The slant of image i: bars leaning from -30 to +30 degrees. */
const slantOf = (i: number): number => -30 + ((i * 7) % 13) * 5;
const barWidthOf = (i: number): number => 2 + (i % 3);

function barImages(n: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const data = Buffer.alloc(n * 784);
  for (let i = 0; i < n; i++) {
    const image = drawGrey(28, 28, shearedBar(14, 14, barWidthOf(i), 16, slantOf(i)));
    for (let p = 0; p < 784; p++) data[i * 784 + p] = Math.round(255 * image[p]!);
  }
  return Buffer.concat([header, data]);
}

const data = writeIdxFolder(join(root, 'bars'), {
  train: 20,
  test: 9,
  override: { 'train-images-idx3-ubyte': barImages(20), 't10k-images-idx3-ubyte': barImages(9) },
});
const dataset = `idx:${data}`;

function readCsv(path: string): string[][] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => line.split(','));
}

test('vae measure writes one row per test image: index, label, then each glyph measure', async () => {
  const out = join(root, 'test.csv');
  const r = await vaeOk(['measure', '--dataset', dataset, '--out', out]);
  assert.match(r.stdout, /wrote 6 measures of 9 test images/);
  assert.equal(r.stderr, '', 'a small set prints no progress');
  const [header, ...rows] = readCsv(out);
  assert.deepEqual(header, ['index', 'label', ...GLYPH_MEASURES]);
  assert.equal(rows.length, 9);
  rows.forEach((row, i) => {
    assert.equal(row.length, 2 + GLYPH_MEASURES.length, `row ${i}`);
    assert.equal(row[0], String(i));
    assert.equal(row[1], String(i % 10), 'labels come from the label file');
    const value = (name: string): number => Number(row[2 + GLYPH_MEASURES.indexOf(name as (typeof GLYPH_MEASURES)[number])]);
    assert.ok(Math.abs(value('slant_deg') - slantOf(i)) <= 2, `slant of image ${i}: ${value('slant_deg')}, drawn at ${slantOf(i)}`);
    // The strict checks of width and height are in measure.test.ts; thin bars lose a little at their sharp corners.
    assert.ok(Math.abs(value('height') - 16) <= 0.75, `height of image ${i}: ${value('height')}`);
    assert.ok(Math.abs(value('width') - barWidthOf(i)) <= 0.5, `width of image ${i}: ${value('width')}`);
  });
});

test('vae measure --split train --limit N measures the first N training images', async () => {
  const out = join(root, 'nested', 'folder', 'train.csv');
  await vaeOk(['measure', '--dataset', dataset, '--split', 'train', '--limit', '7', '--out', out]);
  const [, ...rows] = readCsv(out);
  assert.equal(rows.length, 7);
  assert.deepEqual(
    rows.map((row) => row[0]),
    ['0', '1', '2', '3', '4', '5', '6'],
  );
  // A limit beyond the split measures all of it.
  const all = join(root, 'all.csv');
  await vaeOk(['measure', '--dataset', dataset, '--split', 'train', '--limit', '500', '--out', all]);
  assert.equal(readCsv(all).length, 1 + 20);
});

test('vae measure shows its progress on stderr for a thousand images or more', async () => {
  const big = writeIdxFolder(join(root, 'big'), { train: 10, test: 1000 });
  const out = join(root, 'big.csv');
  const r = await vaeOk(['measure', '--dataset', `idx:${big}`, '--out', out]);
  assert.match(r.stderr, /^vae measure: measuring the test split, 1000 images \.\.\. done in [\d.]+ s\n$/);
  assert.equal(readCsv(out).length, 1 + 1000);
});

test('vae measure refuses bad input with one line and exit 2, writing nothing', async () => {
  const out = join(root, 'refused.csv');
  const cases: [string[], RegExp][] = [
    [['--dataset', dataset, '--split', 'validation', '--out', out], /--split/],
    [['--dataset', dataset, '--limit', '0', '--out', out], /--limit/],
    [['--dataset', dataset, '--limit', 'many', '--out', out], /--limit/],
    [['--dataset', dataset], /--out/],
    [['--out', out], /--dataset/],
    [['--dataset', dataset, '--out', join(root, 'measures.txt')], /\.csv/],
    [['--dataset', 'nope', '--out', out], /unknown dataset "nope"/],
    [['--dataset', `idx:${join(root, 'no-such-folder')}`, '--out', out], /no-such-folder/],
    [['--dataset', dataset, '--out', out, '--bogus'], /--bogus/],
  ];
  for (const [args, pattern] of cases) {
    assertUserFailure(await vae(['measure', ...args]), pattern);
    assert.ok(!existsSync(out), `vae measure ${args.join(' ')} left a file`);
  }
  // A parent that is a file, not a folder.
  const blocker = join(root, 'blocker');
  writeFileSync(blocker, 'not a folder');
  assertUserFailure(await vae(['measure', '--dataset', dataset, '--out', join(blocker, 'm.csv')]), /blocker/);
  // A folder in the way of the file.
  const folder = join(root, 'taken.csv');
  mkdirSync(folder);
  assertUserFailure(await vae(['measure', '--dataset', dataset, '--out', folder]), /taken\.csv/);
});
