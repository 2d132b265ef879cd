/**
 * A JSON parser for file headers that is stricter than JSON.parse where JSON.parse is
 * forgiving in ways a file format must not be: a key given twice is an error (JSON.parse
 * keeps the last, so two readers could disagree about one file), objects have no prototype
 * (a key "__proto__" or "constructor" is only a key), and nesting is bounded so a hostile
 * header cannot exhaust the stack. Everything else is RFC 8259.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Why a text is not acceptable JSON; the message names the position. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function parseStrictJson(text: string): JsonValue {
  let pos = 0;
  const fail = (why: string): never => {
    throw new JsonSyntaxError(`${why} at position ${pos}`);
  };
  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };
  const parseString = (): string => {
    // Called with text[pos] === '"'.
    pos++;
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          pos += 2;
        } else {
          fail('bad escape');
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj = Object.create(null) as JsonObject;
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail('expected a key');
        const key = parseString();
        if (Object.hasOwn(obj, key)) fail(`key ${JSON.stringify(key)} given twice`);
        skipSpace();
        if (text[pos] !== ':') fail('expected ":"');
        pos++;
        obj[key] = parseValue(depth + 1);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null || m[0] === '' || m[0] === '-') return fail('unexpected character');
    pos += m[0].length;
    return Number(m[0]);
  };
  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail('unexpected text after the value');
  return value;
}
