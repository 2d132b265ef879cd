/**
 * A small declarative flag parser. Each command describes its flags once, as data; the parser
 * validates strictly (every mistake becomes a one-line UserError naming the command) and the
 * result is typed from the description, so a command never has to re-check or cast its options.
 */
import { UserError } from '../errors.js';

export type FlagSpec =
  | { kind: 'int'; min?: number; max?: number; default?: number; help: string; alias?: string; valueName?: string }
  | {
      kind: 'number';
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      default?: number;
      help: string;
      alias?: string;
      valueName?: string;
    }
  | { kind: 'string'; default?: string; required?: boolean; help: string; alias?: string; valueName?: string }
  // bare: the value of the flag given alone (`--augment` = `--augment auto`); the next word is its value only when it is not a flag.
  | { kind: 'enum'; choices: readonly string[]; default?: string; bare?: string; help: string; alias?: string }
  // readonly so that a spec written with `as const` (or inferred through the const type parameter) still fits.
  | { kind: 'intList'; min?: number; max?: number; default?: readonly number[]; help: string; valueName?: string }
  | { kind: 'bool'; help: string; alias?: string };

export type FlagSpecs = Record<string, FlagSpec>;

/** The value type a flag produces when present. Enums narrow to their choices when those are literal. */
export type FlagValue<F extends FlagSpec> = F extends { kind: 'int' | 'number' }
  ? number
  : F extends { kind: 'string' }
    ? string
    : F extends { kind: 'enum'; choices: readonly (infer C)[] }
      ? C
      : F extends { kind: 'intList' }
        ? number[]
        : boolean;

/** Bool flags are always defined (absent = false); others are possibly undefined unless they declare a default. */
export type ParsedFlags<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends { kind: 'bool' }
    ? boolean
    : S[K] extends { required: true }
      ? FlagValue<S[K]>
      : S[K] extends { default: infer D }
      ? undefined extends D
        ? FlagValue<S[K]> | undefined
        : FlagValue<S[K]>
      : FlagValue<S[K]> | undefined;
};

/** `batchSize` -> `batch-size`: keys stay idiomatic TS while the command line stays idiomatic shell. */
export function toKebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function levenshtein(a: string, b: string): number {
  // Two rolling rows: the inputs are flag and command names, but there is no reason to allocate a matrix.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The closest option within edit distance 2, or undefined. The distance must also be smaller than the
 * input's length, otherwise a one- or two-letter typo would "match" any short option at all.
 * Ties go to the earlier option, so callers control preference by ordering.
 */
export function didYouMean(input: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const option of options) {
    const d = levenshtein(input, option);
    if (d < bestDist) {
      best = option;
      bestDist = d;
    }
  }
  return bestDist <= 2 && bestDist < input.length ? best : undefined;
}

// Number() accepts "", " ", "0x10", "0b1", "Infinity"; a flag value should be a plain decimal and nothing else.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined; // "1e999" matches the pattern but overflows
}

// Decides whether the token after `--flag` is its value or the next flag. Negative numbers must stay values.
function looksLikeFlag(token: string): boolean {
  return token.length > 1 && token.startsWith('-') && parseDecimal(token) === undefined;
}

interface Known {
  key: string;
  spec: FlagSpec;
}

function aliasOf(spec: FlagSpec): string | undefined {
  return 'alias' in spec ? spec.alias : undefined;
}

/**
 * Parses `argv` (the arguments after the command name) against `spec`.
 * Accepts `--flag value`, `--flag=value`, `-a value`, `-a=value`, and bare bool flags; `--` ends the flags.
 * Positional arguments are never expected, so any is an error.
 */
export function parseFlags<const S extends FlagSpecs>(command: string, argv: string[], spec: S): ParsedFlags<S> {
  return parseFlagsGiven(command, argv, spec).values;
}

/**
 * parseFlags, and which flags the command line named: a value equal to the default, given on
 * purpose, still counts (a resumed run refuses `--seed 1` as it refuses `--seed 2`).
 */
export function parseFlagsGiven<const S extends FlagSpecs>(
  command: string,
  argv: string[],
  spec: S,
): { values: ParsedFlags<S>; given: ReadonlySet<keyof S & string> } {
  function fail(message: string): never {
    throw new UserError(`${command}: ${message}`);
  }

  const byLong = new Map<string, Known>();
  const byAlias = new Map<string, Known>();
  for (const [key, flag] of Object.entries(spec)) {
    byLong.set(toKebab(key), { key, spec: flag });
    const alias = aliasOf(flag);
    if (alias !== undefined) {
      // A bad spec is a programming bug, not a user mistake, so it is a plain Error.
      if (alias.length !== 1) throw new Error(`flag ${key}: alias must be one character, got "${alias}"`);
      if (byAlias.has(alias)) throw new Error(`flag ${key}: alias -${alias} is already used`);
      byAlias.set(alias, { key, spec: flag });
    }
  }
  const longNames = [...byLong.keys()];

  const values = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      const rest = argv[i + 1];
      if (rest !== undefined) fail(`unexpected argument "${rest}"`);
      break;
    }
    if (!token.startsWith('-') || token === '-') fail(`unexpected argument "${token}"`);

    const eq = token.indexOf('=');
    const name = eq === -1 ? token : token.slice(0, eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);

    let known: Known | undefined;
    if (name.startsWith('--')) known = byLong.get(name.slice(2));
    else if (name.length === 2) known = byAlias.get(name.slice(1));
    if (known === undefined) {
      // `-epochs` is a common slip for `--epochs`, so suggest against the bare word in either case.
      const suggestion = didYouMean(name.replace(/^--?/, ''), longNames);
      fail(`unknown flag ${name}${suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`}`);
    }

    const label = `--${toKebab(known.key)}`;
    if (values.has(known.key)) fail(`${label} given more than once`);

    if (known.spec.kind === 'bool') {
      if (inline !== undefined) fail(`${label} does not take a value, got "${token}"`);
      values.set(known.key, true);
      continue;
    }

    let raw = inline;
    const bare = known.spec.kind === 'enum' ? known.spec.bare : undefined;
    if (raw === undefined && bare !== undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeFlag(next)) raw = bare;
      else {
        raw = next;
        i++;
      }
    } else if (raw === undefined) {
      raw = argv[i + 1];
      if (raw === undefined || looksLikeFlag(raw)) fail(`${label} needs a value`);
      i++;
    }
    values.set(known.key, convert(label, known.spec, raw, fail));
  }

  const out: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(spec)) {
    if (flag.kind === 'string' && flag.required === true && !values.has(key)) {
      fail(`--${toKebab(key)} ${defaultValueName(flag)} is required`);
    }
    if (values.has(key)) out[key] = values.get(key);
    else if (flag.kind === 'bool') out[key] = false;
    // Copy list defaults so a caller mutating its options cannot corrupt the shared spec.
    else if (flag.kind === 'intList') out[key] = flag.default === undefined ? undefined : [...flag.default];
    else out[key] = flag.default;
  }
  return { values: out as ParsedFlags<S>, given: new Set(values.keys()) as ReadonlySet<keyof S & string> };
}

function checkRange(
  label: string,
  n: number,
  flag: { min?: number; max?: number; exclusiveMin?: boolean },
  fail: (m: string) => never,
  what = label,
): void {
  if (flag.min !== undefined) {
    if (flag.exclusiveMin ? n <= flag.min : n < flag.min) {
      fail(`${what} must be ${flag.exclusiveMin ? '>' : '>='} ${flag.min}, got ${n}`);
    }
  }
  if (flag.max !== undefined && n > flag.max) fail(`${what} must be <= ${flag.max}, got ${n}`);
}

function convert(label: string, flag: FlagSpec, raw: string, fail: (m: string) => never): unknown {
  switch (flag.kind) {
    case 'int': {
      const n = parseDecimal(raw);
      if (n === undefined || !Number.isSafeInteger(n)) return fail(`${label} expects an integer, got "${raw}"`);
      checkRange(label, n, flag, fail);
      return n;
    }
    case 'number': {
      const n = parseDecimal(raw);
      if (n === undefined) return fail(`${label} expects a number, got "${raw}"`);
      checkRange(label, n, flag, fail);
      return n;
    }
    case 'string':
      // An empty string is almost always a shell variable that expanded to nothing.
      if (raw === '') return fail(`${label} needs a value`);
      return raw;
    case 'enum':
      if (!flag.choices.includes(raw)) return fail(`${label} must be one of ${flag.choices.join(', ')}; got "${raw}"`);
      return raw;
    case 'intList': {
      const items = raw.split(',').map((s) => s.trim());
      const list: number[] = [];
      for (const item of items) {
        const n = parseDecimal(item);
        if (n === undefined || !Number.isSafeInteger(n)) {
          return fail(`${label} expects comma-separated integers like 512,256; got "${raw}"`);
        }
        list.push(n);
      }
      for (const n of list) checkRange(label, n, flag, fail, `${label} values`);
      return list;
    }
    case 'bool':
      return true;
  }
}

function defaultValueName(flag: FlagSpec): string {
  switch (flag.kind) {
    case 'int':
      return flag.valueName ?? 'n';
    case 'number':
      return flag.valueName ?? 'x';
    case 'string':
      return flag.valueName ?? 'value';
    case 'enum':
      return flag.choices.join('|');
    case 'intList':
      return flag.valueName ?? 'n,n,...';
    case 'bool':
      return '';
  }
}

function describeDefault(flag: FlagSpec): string | undefined {
  if (flag.kind === 'bool' || flag.default === undefined) return undefined;
  if (flag.kind === 'intList') return flag.default.join(',');
  return String(flag.default);
}

/** True when the user asked for help; dispatchers check this before parseFlags so `--help` never errors. */
export function wantsHelp(argv: string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '--help' || token === '-h') return true;
  }
  return false;
}

/** Usage text with one aligned line per flag: names and value placeholder, help, then the default. */
export function formatHelp(command: string, summary: string, spec: FlagSpecs): string {
  const rows: [string, string][] = [];
  for (const [key, flag] of Object.entries(spec)) {
    const alias = aliasOf(flag);
    const valueName = defaultValueName(flag);
    // Aliased and unaliased flags line up on the `--`, the way most CLIs print them.
    const optional = flag.kind === 'enum' && flag.bare !== undefined;
    const value = valueName ? (optional ? ` [<${valueName}>]` : ` <${valueName}>`) : '';
    const names = `${alias === undefined ? '    ' : `-${alias}, `}--${toKebab(key)}${value}`;
    const def = describeDefault(flag);
    const required = flag.kind === 'string' && flag.required === true;
    rows.push([names, required ? `${flag.help} (required)` : def === undefined ? flag.help : `${flag.help} (default: ${def})`]);
  }
  const hasHelpFlag = Object.keys(spec).some((k) => k === 'help') || Object.values(spec).some((f) => aliasOf(f) === 'h');
  if (!hasHelpFlag) rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([names]) => names.length));
  const lines = [`Usage: ${command} [options]`, '', summary, '', 'Options:'];
  for (const [names, help] of rows) lines.push(`  ${names.padEnd(width)}  ${help}`);
  return lines.join('\n') + '\n';
}
