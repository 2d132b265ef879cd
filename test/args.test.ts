import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, formatHelp, parseFlags, toKebab, wantsHelp, type FlagSpecs } from '../src/cli/args.js';
import { UserError } from '../src/errors.js';

const spec = {
  epochs: { kind: 'int', min: 1, max: 1000, default: 10, help: 'Training epochs', alias: 'e' },
  batchSize: { kind: 'int', min: 1, default: 128, help: 'Minibatch size', valueName: 'size' },
  lr: { kind: 'number', min: 0, exclusiveMin: true, default: 0.001, help: 'Learning rate' },
  beta: { kind: 'number', min: 0, max: 10, help: 'KL weight' },
  out: { kind: 'string', help: 'Output path', alias: 'o', valueName: 'file' },
  binarize: { kind: 'enum', choices: ['none', 'dynamic'], default: 'none', help: 'Binarization' },
  hidden: { kind: 'intList', min: 1, default: [512, 256], help: 'Hidden layer sizes' },
  seed: { kind: 'int', help: 'Random seed' },
  json: { kind: 'bool', help: 'Print JSON', alias: 'j' },
} as const satisfies FlagSpecs;

const parse = (argv: string[]) => parseFlags('vae train', argv, spec);

function rejects(argv: string[], message: string): void {
  assert.throws(
    () => parse(argv),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
      assert.equal(err.message, `vae train: ${message}`);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
}

test('defaults when nothing is given', () => {
  const f = parse([]);
  assert.deepEqual(f, {
    epochs: 10,
    batchSize: 128,
    lr: 0.001,
    beta: undefined,
    out: undefined,
    binarize: 'none',
    hidden: [512, 256],
    seed: undefined,
    json: false,
  });
});

test('types follow the spec', () => {
  const f = parse([]);
  // Compile-time checks: these assignments fail to build if ParsedFlags loses precision.
  const epochs: number = f.epochs;
  const beta: number | undefined = f.beta;
  const mode: 'none' | 'dynamic' = f.binarize;
  const hidden: number[] = f.hidden;
  const json: boolean = f.json;
  // @ts-expect-error beta has no default, so it may be undefined
  const betaStrict: number = f.beta;
  assert.deepEqual([epochs, beta, mode, hidden, json, betaStrict], [10, undefined, 'none', [512, 256], false, undefined]);
});

test('every kind, space-separated', () => {
  const f = parse([
    '--epochs', '5', '--batch-size', '64', '--lr', '1e-3', '--beta', '0.5', '--out', 'model.json',
    '--binarize', 'dynamic', '--hidden', '400,200,100', '--seed', '-7', '--json',
  ]);
  assert.deepEqual(f, {
    epochs: 5, batchSize: 64, lr: 0.001, beta: 0.5, out: 'model.json',
    binarize: 'dynamic', hidden: [400, 200, 100], seed: -7, json: true,
  });
});

test('every kind, with =', () => {
  const f = parse([
    '--epochs=5', '--batch-size=64', '--lr=.5', '--beta=2', '--out=a=b.json',
    '--binarize=dynamic', '--hidden=8', '--seed=-3',
  ]);
  assert.deepEqual(f, {
    epochs: 5, batchSize: 64, lr: 0.5, beta: 2, out: 'a=b.json',
    binarize: 'dynamic', hidden: [8], seed: -3, json: false,
  });
});

test('aliases', () => {
  const f = parse(['-e', '3', '-o=x.json', '-j']);
  assert.equal(f.epochs, 3);
  assert.equal(f.out, 'x.json');
  assert.equal(f.json, true);
});

test('intList tolerates spaces and the default is a fresh copy', () => {
  assert.deepEqual(parse(['--hidden', '32, 16']).hidden, [32, 16]);
  const a = parse([]);
  a.hidden.push(1);
  assert.deepEqual(parse([]).hidden, [512, 256]);
});

test('kebab-case mapping', () => {
  assert.equal(toKebab('batchSize'), 'batch-size');
  assert.equal(toKebab('maxGradNorm'), 'max-grad-norm');
  rejects(['--batchSize', '3'], 'unknown flag --batchSize (did you mean --batch-size?)');
});

test('unknown flags, with and without a suggestion', () => {
  rejects(['--epoch', '3'], 'unknown flag --epoch (did you mean --epochs?)');
  rejects(['-epochs', '3'], 'unknown flag -epochs (did you mean --epochs?)');
  rejects(['--frobnicate'], 'unknown flag --frobnicate');
  rejects(['-x'], 'unknown flag -x');
});

test('missing values', () => {
  rejects(['--epochs'], '--epochs needs a value');
  rejects(['--epochs', '--json'], '--epochs needs a value');
  rejects(['--out='], '--out needs a value');
});

test('non-numeric and non-integer values', () => {
  rejects(['--epochs', 'ten'], '--epochs expects an integer, got "ten"');
  rejects(['--epochs', '2.5'], '--epochs expects an integer, got "2.5"');
  rejects(['--lr', 'fast'], '--lr expects a number, got "fast"');
});

test('hex, empty, NaN and Infinity are rejected', () => {
  rejects(['--epochs', '0x10'], '--epochs expects an integer, got "0x10"');
  rejects(['--epochs='], '--epochs expects an integer, got ""');
  rejects(['--lr='], '--lr expects a number, got ""');
  rejects(['--lr', ' '], '--lr expects a number, got " "');
  rejects(['--lr', 'NaN'], '--lr expects a number, got "NaN"');
  rejects(['--lr', 'Infinity'], '--lr expects a number, got "Infinity"');
  rejects(['--lr', '1e999'], '--lr expects a number, got "1e999"');
  rejects(['--lr', '0b1'], '--lr expects a number, got "0b1"');
  rejects(['--hidden', '0x10,8'], '--hidden expects comma-separated integers like 512,256; got "0x10,8"');
  rejects(['--hidden', '512,,256'], '--hidden expects comma-separated integers like 512,256; got "512,,256"');
  rejects(['--hidden='], '--hidden expects comma-separated integers like 512,256; got ""');
});

test('ranges', () => {
  rejects(['--epochs', '0'], '--epochs must be >= 1, got 0');
  rejects(['--epochs', '1001'], '--epochs must be <= 1000, got 1001');
  rejects(['--lr', '0'], '--lr must be > 0, got 0');
  rejects(['--lr', '-1'], '--lr must be > 0, got -1');
  rejects(['--beta', '-0.5'], '--beta must be >= 0, got -0.5');
  rejects(['--beta', '11'], '--beta must be <= 10, got 11');
  rejects(['--hidden', '8,0'], '--hidden values must be >= 1, got 0');
  assert.equal(parse(['--beta', '0']).beta, 0);
  assert.equal(parse(['--epochs', '1000']).epochs, 1000);
});

test('enum', () => {
  rejects(['--binarize', 'x'], '--binarize must be one of none, dynamic; got "x"');
});

test('bool takes no value', () => {
  rejects(['--json=false'], '--json does not take a value, got "--json=false"');
  rejects(['--json=true'], '--json does not take a value, got "--json=true"');
});

test('repeated flags, including via alias', () => {
  rejects(['--epochs', '1', '--epochs', '2'], '--epochs given more than once');
  rejects(['-e', '1', '--epochs=2'], '--epochs given more than once');
  rejects(['--json', '-j'], '--json given more than once');
});

test('positional arguments', () => {
  rejects(['foo'], 'unexpected argument "foo"');
  rejects(['--json', 'foo'], 'unexpected argument "foo"');
  rejects(['--', 'foo'], 'unexpected argument "foo"');
  rejects(['-'], 'unexpected argument "-"');
  assert.equal(parse(['--json', '--']).json, true);
});

test('didYouMean', () => {
  assert.equal(didYouMean('trian', ['train', 'eval', 'sample']), 'train');
  assert.equal(didYouMean('evl', ['train', 'eval', 'sample']), 'eval');
  assert.equal(didYouMean('zzzzzz', ['train', 'eval', 'sample']), undefined);
  assert.equal(didYouMean('ab', ['xy']), undefined);
  assert.equal(didYouMean('x', []), undefined);
});

test('wantsHelp', () => {
  assert.equal(wantsHelp(['--epochs', '3', '--help']), true);
  assert.equal(wantsHelp(['-h']), true);
  assert.equal(wantsHelp(['--', '-h']), false);
  assert.equal(wantsHelp(['--epochs', '3']), false);
});

test('help lists every flag with value name, help and default, aligned', () => {
  const help = formatHelp('vae train', 'Train a VAE on MNIST.', spec);
  assert.match(help, /^Usage: vae train \[options\]\n/);
  assert.ok(help.includes('Train a VAE on MNIST.'));
  for (const name of ['--epochs', '--batch-size', '--lr', '--beta', '--out', '--binarize', '--hidden', '--seed', '--json']) {
    assert.ok(help.includes(name), `help lacks ${name}`);
  }
  assert.ok(help.includes('-e, --epochs <n>'));
  assert.ok(help.includes('--batch-size <size>'));
  assert.ok(help.includes('-o, --out <file>'));
  assert.ok(help.includes('--binarize <none|dynamic>'));
  for (const def of ['(default: 10)', '(default: 128)', '(default: 0.001)', '(default: none)', '(default: 512,256)']) {
    assert.ok(help.includes(def), `help lacks ${def}`);
  }
  assert.ok(!/--json.*default/.test(help));
  const flagLines = help.split('\n').filter((l) => l.startsWith('  '));
  assert.equal(flagLines.length, Object.keys(spec).length + 1); // + --help
  const helps = [...Object.values(spec).map((f) => f.help), 'Show this help'];
  const helpColumns = new Set(flagLines.map((l, i) => l.indexOf(helps[i]!)));
  assert.equal(helpColumns.size, 1, 'help text starts in the same column on every line');
});

test('a required string flag must be given; its type has no undefined', () => {
  const withRequired = {
    checkpoint: { kind: 'string', required: true, help: 'Run folder', valueName: 'DIR' },
    json: { kind: 'bool', help: 'JSON' },
  } as const satisfies FlagSpecs;
  const parsed = parseFlags('vae eval', ['--checkpoint', 'runs/a'], withRequired);
  const dir: string = parsed.checkpoint;
  assert.equal(dir, 'runs/a');
  assert.throws(
    () => parseFlags('vae eval', ['--json'], withRequired),
    (err: unknown) => err instanceof UserError && err.message === 'vae eval: --checkpoint DIR is required',
  );
  assert.match(formatHelp('vae eval', 'Evaluate.', withRequired), /--checkpoint <DIR>\s+Run folder \(required\)/);
});
