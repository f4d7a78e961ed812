/**
 * JSON helpers for the DeployR encoding.
 *
 * 1. Reading `inputs`: JSON.parse forgets whether a number was written `5` or `5.0`, but that is
 *    how DeployR tells an integer input from a numeric one (the Java client always sends
 *    `5.0` for numerics, the reference example sends `10` for an integer). `parseJsonTree`
 *    keeps that.
 * 2. Writing markup: the Java client casts the value of a numeric primitive to `Double`, which
 *    fails for a JSON `5` (Jackson reads it as an Integer), and compares numeric vectors with
 *    lists of Doubles. DeployR (Java) always wrote doubles as `5.0`. `to-markup` tags the
 *    encoded objects whose values are doubles (`hasDoubleValues`) and `stringifyMarkup` writes
 *    them so; plain `JSON.stringify` still works (and writes `5`).
 */

// ---------------------------------------------------------------------------------------------
// Reading

export type JsonNode =
  | { kind: 'null' }
  | { kind: 'boolean'; value: boolean }
  /** `integral`: written without fraction or exponent (`10`, not `10.0` or `1e1`). */
  | { kind: 'number'; value: number; integral: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'object'; entries: Map<string, JsonNode> };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_DEPTH = 512;

/** Parses JSON text into a tree that remembers how each number was written. */
export function parseJsonTree(text: string): JsonNode {
  let pos = 0;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${pos}`, pos);
  };
  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos += 1;
      else break;
    }
  };
  const parseString = (): string => {
    // text[pos] === '"'
    pos += 1;
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos += 1;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        pos += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad unicode escape');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            pos -= 1;
            fail('bad escape');
        }
        start = pos;
      } else {
        pos += 1;
      }
    }
  };
  const parseValue = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWs();
    const c = text[pos];
    if (c === '{') {
      pos += 1;
      const entries = new Map<string, JsonNode>();
      skipWs();
      if (text[pos] === '}') {
        pos += 1;
        return { kind: 'object', entries };
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail('expected a property name');
        const key = parseString();
        skipWs();
        if (text[pos] !== ':') fail("expected ':'");
        pos += 1;
        entries.set(key, parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos += 1;
          continue;
        }
        if (text[pos] === '}') {
          pos += 1;
          return { kind: 'object', entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos += 1;
      const items: JsonNode[] = [];
      skipWs();
      if (text[pos] === ']') {
        pos += 1;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos += 1;
          continue;
        }
        if (text[pos] === ']') {
          pos += 1;
          return { kind: 'array', items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'string', value: parseString() };
    if (text.startsWith('true', pos)) {
      pos += 4;
      return { kind: 'boolean', value: true };
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return { kind: 'boolean', value: false };
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return { kind: 'null' };
    }
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m) {
      pos += m[0].length;
      return { kind: 'number', value: Number(m[0]), integral: m[1] === undefined && m[2] === undefined };
    }
    return fail(pos >= text.length ? 'unexpected end of input' : `unexpected character '${c}'`);
  };

  const node = parseValue(0);
  skipWs();
  if (pos < text.length) fail('unexpected text after the JSON value');
  return node;
}

/**
 * The tree of an already parsed JSON value (e.g. a body parsed by someone else). Numbers
 * written `5.0` cannot be told from `5` any more: whole numbers count as integral.
 */
export function jsonTreeOf(value: unknown): JsonNode {
  if (value === null || value === undefined) return { kind: 'null' };
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { kind: 'null' };
    return { kind: 'number', value, integral: Number.isInteger(value) };
  }
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(jsonTreeOf) };
  if (typeof value === 'object') {
    const entries = new Map<string, JsonNode>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) entries.set(k, jsonTreeOf(v));
    }
    return { kind: 'object', entries };
  }
  return { kind: 'null' };
}

// ---------------------------------------------------------------------------------------------
// Writing

const DOUBLE_VALUES: unique symbol = Symbol('deployr.doubleValues');

/** Marks an encoded object whose `value` holds doubles (numbers to be written as `5.0`). */
export function markDoubleValues<T extends object>(obj: T): T {
  Object.defineProperty(obj, DOUBLE_VALUES, { value: true, enumerable: false });
  return obj;
}

/** True for an encoded object whose numbers in `value` are R doubles. */
export function hasDoubleValues(obj: object): boolean {
  return (obj as { [DOUBLE_VALUES]?: boolean })[DOUBLE_VALUES] === true;
}

/** A double as Java writes it: always with a fraction or an exponent (`5.0`, `1.5`, `1e+21`). */
export function formatDouble(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

interface ToJson {
  toJSON(key: string): unknown;
}

function hasToJson(v: object): v is ToJson {
  return typeof (v as Partial<ToJson>).toJSON === 'function';
}

/**
 * JSON.stringify, except that the numbers in the `value` of encoded objects holding R doubles
 * are written as doubles (`5.0`). Use it for any response markup that may contain encoded R
 * objects.
 */
export function stringifyMarkup(value: unknown): string {
  const out: string[] = [];
  const write = (v: unknown, key: string, doubles: boolean): boolean => {
    if (v !== null && typeof v === 'object' && hasToJson(v)) v = v.toJSON(key);
    if (v === null) {
      out.push('null');
      return true;
    }
    switch (typeof v) {
      case 'string':
        out.push(JSON.stringify(v));
        return true;
      case 'number':
        out.push(doubles ? formatDouble(v) : Number.isFinite(v) ? String(v) : 'null');
        return true;
      case 'boolean':
        out.push(v ? 'true' : 'false');
        return true;
      case 'bigint':
        out.push(v.toString());
        return true;
      case 'object': {
        if (Array.isArray(v)) {
          out.push('[');
          v.forEach((item, i) => {
            if (i > 0) out.push(',');
            if (!write(item, String(i), doubles)) out.push('null');
          });
          out.push(']');
          return true;
        }
        const objDoubles = hasDoubleValues(v);
        out.push('{');
        let first = true;
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          const mark = out.length;
          if (!first) out.push(',');
          out.push(JSON.stringify(k), ':');
          if (write(item, k, objDoubles && k === 'value')) first = false;
          else out.length = mark;
        }
        out.push('}');
        return true;
      }
      default:
        return false; // undefined, function, symbol
    }
  };
  if (!write(value, '', false)) return 'null';
  return out.join('');
}
