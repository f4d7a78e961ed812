/**
 * DeployR-encoded inputs → R objects (../rserve/sexp.ts) ready to be assigned with setSEXP.
 *
 *   decodeInputs(inputs, options)   the `inputs` parameter: a JSON object keyed by input name
 *   decodeInput(name, markup)       one encoded object
 *   decodeCsvInputs(csvinputs)      the `csvinputs` parameter: "name,value,name,value"
 *
 * Everything is decoded and checked before anything is returned, so a malformed input throws
 * an InputEncodingError (naming the input) and nothing reaches R half-assigned.
 *
 * What the clients send (all accepted):
 * - Reference / JS client: `{type, value}`, `type` omitted for primitives, factors with
 *   `labels` (and `levels` if the caller gave them), dates as "2016-01-5" (day unpadded) with
 *   format "yyyy-MM-dd", POSIXct as local time with offset "2016-01-05 10:11:12 -0800" and
 *   format "yyyy-MM-dd HH:mm:ss Z", date vectors as type "vector" with `format`; data frames
 *   with nested data frames flattened.
 * - Java client: also `rclass` ("numeric", "character", "logical", "Date", "POSIXct",
 *   "factor", "ordered", "matrix", "list", "data.frame"), doubles written `5.0`, any
 *   SimpleDateFormat pattern in `format` (e.g. "yyyy-MM-dd HH:mm:ss z" with "PST"), factors
 *   with `levels` + `labels` + `ordered`.
 * - .NET client: `rclass` + `type` (+ `name` inside lists / data frames) on every object,
 *   rclass "date" for dates and date vectors, dates as whatever the caller formatted (falls back
 *   to "M/d/yyyy h:mm:ss tt" and ISO 8601 when the value does not match `format`).
 *
 * Type of numbers: a JSON number written without fraction or exponent that fits an R integer
 * becomes an integer (`{"value": 10}` → 10L), any other number a double (`5.5`, `5.0`), unless
 * `rclass` says "numeric" / "integer". Mixed vectors are coerced like R's c(): logical <
 * integer < double < character.
 */
import { doublesFrom, setNaReal, type RAttributes, type RValue } from '../rserve/sexp';
import { daysFromCivil, DatePatternError, instantOf, parseWithPattern, patternHasTime, type ParsedDateTime } from './dates';
import { jsonTreeOf, JsonSyntaxError, parseJsonTree, type JsonNode } from './json';

/** A malformed input. `inputName` is null when the parameter as a whole is malformed. */
export class InputEncodingError extends Error {
  constructor(
    readonly inputName: string | null,
    readonly path: string,
    readonly detail: string,
  ) {
    super(inputName === null ? detail : `input "${path}": ${detail}`);
    this.name = 'InputEncodingError';
  }
}

export interface DecodedInput {
  name: string;
  value: RValue;
}

export interface InputDecodeOptions {
  /**
   * IANA time zone for date-time inputs that carry no zone (e.g. format "yyyy-MM-dd HH:mm:ss").
   * Default: this process's local time zone (what the Java DeployR server did).
   */
  timeZone?: string;
}

type ObjectNode = Extract<JsonNode, { kind: 'object' }>;
type AtomicKind = 'logical' | 'integer' | 'double' | 'character';

const INT_MAX = 2147483647;
const INT_MIN = -2147483647; // -2^31 is NA_integer_

class Ctx {
  constructor(
    readonly inputName: string,
    readonly options: InputDecodeOptions,
  ) {}

  fail(path: string, detail: string): never {
    throw new InputEncodingError(this.inputName, path, detail);
  }
}

function describe(n: JsonNode): string {
  switch (n.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(n.value);
    case 'number':
      return String(n.value);
    case 'string':
      return JSON.stringify(n.value.length > 40 ? `${n.value.slice(0, 40)}...` : n.value);
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
  }
}

function stringProp(ctx: Ctx, path: string, obj: ObjectNode, key: string): string | undefined {
  const n = obj.entries.get(key);
  if (n === undefined || n.kind === 'null') return undefined;
  if (n.kind !== 'string') ctx.fail(path, `"${key}" must be a string, got ${describe(n)}`);
  return n.value;
}

// ---------------------------------------------------------------------------------------------
// Atomic vectors

const SPECIAL_DOUBLES: Record<string, number | null> = {
  NA: null,
  NaN: NaN,
  Inf: Infinity,
  '+Inf': Infinity,
  Infinity: Infinity,
  '+Infinity': Infinity,
  '-Inf': -Infinity,
  '-Infinity': -Infinity,
  '0x7ff0000000000000L': Infinity,
  '-0x7ff0000000000000L': -Infinity,
  '0xfff0000000000000L': -Infinity,
};

const TRUE_STRINGS = new Set(['TRUE', 'true', 'True', 'T']);
const FALSE_STRINGS = new Set(['FALSE', 'false', 'False', 'F']);
const R_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const R_HEX = /^[-+]?0[xX][0-9a-fA-F]+$/;
const R_INTEGER = /^[-+]?\d+$/;

function isIntegral(n: Extract<JsonNode, { kind: 'number' }>): boolean {
  return n.integral && Number.isInteger(n.value) && n.value >= INT_MIN && n.value <= INT_MAX;
}

function kindFromRclass(rclass: string | undefined): AtomicKind | undefined {
  switch (rclass?.toLowerCase()) {
    case 'numeric':
    case 'double':
      return 'double';
    case 'integer':
      return 'integer';
    case 'character':
    case 'string':
      return 'character';
    case 'logical':
    case 'boolean':
      return 'logical';
    default:
      return undefined;
  }
}

function inferKind(ctx: Ctx, path: string, items: JsonNode[]): AtomicKind {
  let hasBool = false;
  let hasInt = false;
  let hasDouble = false;
  let hasString = false;
  let hasSpecial = false;
  for (const n of items) {
    switch (n.kind) {
      case 'null':
        break;
      case 'boolean':
        hasBool = true;
        break;
      case 'number':
        if (isIntegral(n)) hasInt = true;
        else hasDouble = true;
        break;
      case 'string':
        if (n.value in SPECIAL_DOUBLES && n.value !== 'NA') hasSpecial = true;
        else if (n.value === 'NA') break;
        else hasString = true;
        break;
      default:
        ctx.fail(path, `a vector element must be a string, number, boolean or null, got ${describe(n)}`);
    }
  }
  if (hasString) return 'character';
  if (hasDouble || ((hasInt || hasBool) && hasSpecial)) return 'double';
  if (hasSpecial) return 'character';
  if (hasInt) return 'integer';
  return 'logical';
}

function characterOf(n: JsonNode): string | null {
  switch (n.kind) {
    case 'null':
      return null;
    case 'boolean':
      return n.value ? 'TRUE' : 'FALSE';
    case 'number':
      return String(n.value);
    case 'string':
      return n.value;
    default:
      return null;
  }
}

function convert(ctx: Ctx, path: string, items: JsonNode[], kind: AtomicKind): RValue {
  const bad = (n: JsonNode, what: string): never => ctx.fail(path, `${describe(n)} is not ${what}`);
  switch (kind) {
    case 'logical':
      return {
        type: 'logical',
        value: items.map((n) => {
          switch (n.kind) {
            case 'null':
              return null;
            case 'boolean':
              return n.value;
            case 'number':
              return Number.isNaN(n.value) ? null : n.value !== 0;
            case 'string':
              if (TRUE_STRINGS.has(n.value)) return true;
              if (FALSE_STRINGS.has(n.value)) return false;
              if (n.value === 'NA') return null;
              return bad(n, 'a logical');
            default:
              return bad(n, 'a logical');
          }
        }),
      };
    case 'integer':
      return {
        type: 'integer',
        value: items.map((n) => {
          switch (n.kind) {
            case 'null':
              return null;
            case 'boolean':
              return n.value ? 1 : 0;
            case 'number':
              if (Number.isInteger(n.value) && n.value >= INT_MIN && n.value <= INT_MAX) return n.value;
              return bad(n, 'an integer');
            case 'string': {
              if (n.value === 'NA') return null;
              const v = Number(n.value.trim());
              if (R_INTEGER.test(n.value.trim()) && v >= INT_MIN && v <= INT_MAX) return v;
              return bad(n, 'an integer');
            }
            default:
              return bad(n, 'an integer');
          }
        }),
      };
    case 'double': {
      const out = new Float64Array(items.length);
      items.forEach((n, i) => {
        switch (n.kind) {
          case 'null':
            setNaReal(out, i);
            return;
          case 'boolean':
            out[i] = n.value ? 1 : 0;
            return;
          case 'number':
            out[i] = n.value;
            return;
          case 'string': {
            const s = n.value.trim();
            if (s in SPECIAL_DOUBLES) {
              const x = SPECIAL_DOUBLES[s];
              if (x === null) setNaReal(out, i);
              else out[i] = x;
              return;
            }
            if (R_NUMBER.test(s) || R_HEX.test(s)) {
              out[i] = R_HEX.test(s) ? (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[-+]/, ''), 16) : Number(s);
              return;
            }
            bad(n, 'a number');
            return;
          }
          default:
            bad(n, 'a number');
        }
      });
      return { type: 'double', value: out };
    }
    case 'character':
      return {
        type: 'string',
        value: items.map((n) => {
          if (n.kind === 'array' || n.kind === 'object') return bad(n, 'a string');
          return characterOf(n);
        }),
      };
  }
}

function atomic(ctx: Ctx, path: string, items: JsonNode[], rclass: string | undefined): RValue {
  for (const n of items) {
    if (n.kind === 'array' || n.kind === 'object') {
      ctx.fail(path, `a vector element must be a string, number, boolean or null, got ${describe(n)}`);
    }
  }
  return convert(ctx, path, items, kindFromRclass(rclass) ?? inferKind(ctx, path, items));
}

// ---------------------------------------------------------------------------------------------
// Dates

/** Tried, in order, when a value does not match the `format` it came with. */
const FALLBACK_PATTERNS = [
  "yyyy-MM-dd'T'HH:mm:ss.SSSX",
  "yyyy-MM-dd'T'HH:mm:ssX",
  "yyyy-MM-dd'T'HH:mm:ss",
  'yyyy-MM-dd HH:mm:ss Z',
  'yyyy-MM-dd HH:mm:ss',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy H:mm:ss',
  'M/d/yyyy',
  'yyyy-MM-dd',
];

function parseDateString(ctx: Ctx, path: string, s: string, format: string | undefined): ParsedDateTime {
  if (format !== undefined) {
    try {
      const p = parseWithPattern(s.trim(), format);
      if (p) return p;
    } catch (e) {
      if (e instanceof DatePatternError) ctx.fail(path, e.message);
      throw e;
    }
  }
  for (const pattern of FALLBACK_PATTERNS) {
    const p = parseWithPattern(s.trim(), pattern);
    if (p) return p;
  }
  return ctx.fail(
    path,
    format === undefined ? `${JSON.stringify(s)} is not a date` : `${JSON.stringify(s)} does not match date format "${format}"`,
  );
}

function dates(
  ctx: Ctx,
  path: string,
  items: JsonNode[],
  format: string | undefined,
  rclass: string | undefined,
): RValue {
  const parsed = items.map((n): ParsedDateTime | null => {
    if (n.kind === 'null') return null;
    if (n.kind === 'string') {
      if (n.value === '' || n.value === 'NA') return null;
      return parseDateString(ctx, path, n.value, format);
    }
    return ctx.fail(path, `a date must be a string, got ${describe(n)}`);
  });
  const cls = rclass?.toLowerCase();
  let datetime: boolean;
  if (cls === 'posixct' || cls === 'posixlt') datetime = true;
  else if (rclass === 'Date') datetime = false;
  else if (format !== undefined) {
    try {
      datetime = patternHasTime(format);
    } catch (e) {
      if (e instanceof DatePatternError) ctx.fail(path, e.message);
      throw e;
    }
  } else datetime = parsed.some((p) => p !== null && p.hasTime);

  if (!datetime) {
    const days = doublesFrom(parsed.map((p) => (p === null ? null : daysFromCivil(p.year, p.month, p.day))));
    return { type: 'double', value: days, attributes: { class: { type: 'string', value: ['Date'] } } };
  }
  const seconds = doublesFrom(
    parsed.map((p) => {
      if (p === null) return null;
      const ms = instantOf(p, ctx.options.timeZone);
      if (ms === undefined) return ctx.fail(path, `cannot place the date-time in time zone "${ctx.options.timeZone}"`);
      return ms / 1000;
    }),
  );
  return {
    type: 'double',
    value: seconds,
    attributes: {
      class: { type: 'string', value: ['POSIXct', 'POSIXt'] },
      tzone: { type: 'string', value: [''] },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Factors

function stringList(ctx: Ctx, path: string, obj: ObjectNode, key: string): string[] | undefined {
  const n = obj.entries.get(key);
  if (n === undefined || n.kind === 'null') return undefined;
  const items = n.kind === 'array' ? n.items : [n];
  return items.map((i) => {
    if (i.kind === 'string') return i.value;
    if (i.kind === 'number' || i.kind === 'boolean') return characterOf(i) as string;
    return ctx.fail(path, `"${key}" must be an array of strings, got ${describe(i)}`);
  });
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function factor(ctx: Ctx, path: string, obj: ObjectNode, value: JsonNode, rclass: string | undefined): RValue {
  const items = value.kind === 'array' ? value.items : [value];
  const keys = items.map((n) => {
    if (n.kind === 'array' || n.kind === 'object') ctx.fail(path, `a factor value must be a string, got ${describe(n)}`);
    return characterOf(n);
  });
  const levelsGiven = stringList(ctx, path, obj, 'levels');
  const labelsGiven = stringList(ctx, path, obj, 'labels');
  const orderedNode = obj.entries.get('ordered');
  let ordered = rclass?.toLowerCase() === 'ordered';
  if (orderedNode !== undefined && orderedNode.kind !== 'null') {
    if (orderedNode.kind === 'boolean') ordered = orderedNode.value;
    else if (orderedNode.kind === 'string' && /^(true|false)$/i.test(orderedNode.value)) {
      ordered = orderedNode.value.toLowerCase() === 'true';
    } else ctx.fail(path, `"ordered" must be true or false, got ${describe(orderedNode)}`);
  }

  // levels: what the values are matched against; labels: what the levels are called.
  let levels: string[];
  if (levelsGiven) levels = levelsGiven;
  else if (labelsGiven) levels = labelsGiven;
  else {
    const present = items.filter((n) => n.kind !== 'null');
    const numeric = present.length > 0 && present.every((n) => n.kind === 'number');
    if (numeric) {
      const nums = [...new Set(present.map((n) => (n as Extract<JsonNode, { kind: 'number' }>).value))].sort((a, b) => a - b);
      levels = nums.map(String);
    } else {
      levels = [...new Set(keys.filter((k): k is string => k !== null))].sort(compareCodePoints);
    }
  }
  const seen = new Set<string>();
  levels.forEach((l, i) => {
    if (seen.has(l)) ctx.fail(path, `factor level [${i + 1}] is duplicated`);
    seen.add(l);
  });
  let labels = levelsGiven && labelsGiven ? labelsGiven : levels;
  if (labels.length !== levels.length) {
    if (labels.length === 1) labels = levels.map((_, i) => `${labels[0]}${i + 1}`);
    else ctx.fail(path, `invalid 'labels'; length ${labels.length} should be 1 or ${levels.length}`);
  }
  // Duplicated labels merge their levels (as R >= 3.4 does).
  const finalLevels = [...new Set(labels)];
  const codeOfLevel = new Map<string, number>();
  levels.forEach((l, i) => codeOfLevel.set(l, finalLevels.indexOf(labels[i]) + 1));
  const codes = keys.map((k) => (k === null ? null : (codeOfLevel.get(k) ?? null)));
  return {
    type: 'integer',
    value: codes,
    attributes: {
      levels: { type: 'string', value: finalLevels },
      class: { type: 'string', value: ordered ? ['ordered', 'factor'] : ['factor'] },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Matrices, lists, data frames

function matrix(ctx: Ctx, path: string, value: JsonNode, rclass: string | undefined): RValue {
  if (value.kind !== 'array') return ctx.fail(path, `a matrix value must be an array of rows, got ${describe(value)}`);
  const rows = value.items.map((r) => {
    if (r.kind !== 'array') return ctx.fail(path, `a matrix row must be an array, got ${describe(r)}`);
    return r.items;
  });
  const nrow = rows.length;
  const ncol = nrow > 0 ? rows[0].length : 0;
  rows.forEach((r, i) => {
    if (r.length !== ncol) ctx.fail(path, `matrix row ${i + 1} has ${r.length} elements, row 1 has ${ncol}`);
  });
  const flat: JsonNode[] = new Array<JsonNode>(nrow * ncol);
  for (let r = 0; r < nrow; r += 1) for (let c = 0; c < ncol; c += 1) flat[r + c * nrow] = rows[r][c];
  const v = atomic(ctx, path, flat, rclass);
  v.attributes = { dim: { type: 'integer', value: [nrow, ncol] } };
  return v;
}

interface Element {
  name: string;
  node: ObjectNode;
}

function elements(ctx: Ctx, path: string, value: JsonNode, what: string): Element[] {
  if (value.kind === 'object') {
    // Tolerated: a map of name → encoded object.
    return [...value.entries].map(([name, node]) => {
      if (node.kind !== 'object') return ctx.fail(`${path}$${name}`, `expected an encoded object, got ${describe(node)}`);
      return { name, node };
    });
  }
  if (value.kind !== 'array') return ctx.fail(path, `a ${what} value must be an array of encoded objects, got ${describe(value)}`);
  return value.items.map((node, i) => {
    if (node.kind !== 'object') return ctx.fail(`${path}[[${i + 1}]]`, `expected an encoded object, got ${describe(node)}`);
    const n = node.entries.get('name');
    let name = '';
    if (n !== undefined && n.kind !== 'null') {
      if (n.kind === 'string') name = n.value;
      else if (n.kind === 'number') name = String(n.value);
      else ctx.fail(`${path}[[${i + 1}]]`, `"name" must be a string, got ${describe(n)}`);
    }
    return { name, node };
  });
}

function childPath(path: string, e: Element, i: number): string {
  return e.name ? `${path}$${e.name}` : `${path}[[${i + 1}]]`;
}

function list(ctx: Ctx, path: string, value: JsonNode): RValue {
  const els = elements(ctx, path, value, 'list');
  const values = els.map((e, i) => decodeNode(ctx, childPath(path, e, i), e.node));
  const out: RValue = { type: 'list', value: values };
  if (els.some((e) => e.name !== '')) {
    out.attributes = { names: { type: 'string', value: els.map((e) => e.name) } };
  }
  return out;
}

function vectorLength(v: RValue): number | undefined {
  switch (v.type) {
    case 'logical':
    case 'integer':
    case 'double':
    case 'string':
      return v.value.length;
    default:
      return undefined;
  }
}

function isDataFrame(v: RValue): v is Extract<RValue, { type: 'list' }> {
  const cls = v.attributes?.class;
  return v.type === 'list' && !!cls && cls.type === 'string' && cls.value.includes('data.frame');
}

function recycle(v: RValue, n: number): RValue {
  const len = vectorLength(v) ?? 0;
  if (len === n) return v;
  const idx = (i: number): number => i % len;
  switch (v.type) {
    case 'logical':
      return { ...v, value: Array.from({ length: n }, (_, i) => v.value[idx(i)]) };
    case 'integer':
      return { ...v, value: Array.from({ length: n }, (_, i) => v.value[idx(i)]) };
    case 'string':
      return { ...v, value: Array.from({ length: n }, (_, i) => v.value[idx(i)]) };
    case 'double': {
      // copy the 8 bytes of each element so NA keeps its bit pattern
      const src = new Uint32Array(v.value.buffer, v.value.byteOffset, v.value.length * 2);
      const out = new Float64Array(n);
      const dst = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i += 1) {
        dst[2 * i] = src[2 * idx(i)];
        dst[2 * i + 1] = src[2 * idx(i) + 1];
      }
      return { ...v, value: out };
    }
    default:
      return v;
  }
}

function dataframe(ctx: Ctx, path: string, value: JsonNode): RValue {
  const els = elements(ctx, path, value, 'dataframe');
  const names: string[] = [];
  const cols: RValue[] = [];
  els.forEach((e, i) => {
    const p = childPath(path, e, i);
    const col = decodeNode(ctx, p, e.node);
    if (isDataFrame(col)) {
      // a nested data frame contributes its columns (the JS client flattens them the same way)
      const inner = col.attributes?.names;
      col.value.forEach((c, j) => {
        names.push(inner && inner.type === 'string' ? (inner.value[j] ?? `V${names.length + 1}`) : `V${names.length + 1}`);
        cols.push(c);
      });
      return;
    }
    if (vectorLength(col) === undefined || col.attributes?.dim) {
      ctx.fail(p, 'a data frame column must be a primitive, vector, factor or date');
    }
    names.push(e.name !== '' ? e.name : `V${names.length + 1}`);
    cols.push(col);
  });
  const lengths = cols.map((c) => vectorLength(c) ?? 0);
  const nrow = lengths.length ? Math.max(...lengths) : 0;
  const recycled = cols.map((c, i) => {
    const len = lengths[i];
    if (len === nrow) return c;
    if (len === 0 || nrow % len !== 0) {
      return ctx.fail(path, `arguments imply differing number of rows: ${[...new Set(lengths)].join(', ')}`);
    }
    return recycle(c, nrow);
  });
  const attributes: RAttributes = {
    names: { type: 'string', value: names },
    class: { type: 'string', value: ['data.frame'] },
    'row.names': { type: 'integer', value: nrow > 0 ? [null, -nrow] : [] },
  };
  return { type: 'list', value: recycled, attributes };
}

// ---------------------------------------------------------------------------------------------
// One encoded object

const TYPES = new Set(['primitive', 'vector', 'matrix', 'factor', 'date', 'list', 'dataframe']);

function decodeNode(ctx: Ctx, path: string, node: JsonNode): RValue {
  if (node.kind !== 'object') {
    return ctx.fail(path, `expected an encoded object ({"type": ..., "value": ...}), got ${describe(node)}`);
  }
  const typeRaw = stringProp(ctx, path, node, 'type');
  const type = typeRaw === undefined || typeRaw === '' ? 'primitive' : typeRaw.toLowerCase();
  if (!TYPES.has(type)) ctx.fail(path, `unknown type "${typeRaw}"`);
  const rclass = stringProp(ctx, path, node, 'rclass');
  const format = stringProp(ctx, path, node, 'format');
  const value = node.entries.get('value');
  if (value === undefined) return ctx.fail(path, 'missing "value"');

  switch (type) {
    case 'primitive': {
      if (value.kind === 'object') return ctx.fail(path, `a primitive value must be a string, number, boolean or null, got ${describe(value)}`);
      const items = value.kind === 'array' ? value.items : [value];
      const cls = rclass?.toLowerCase();
      if (cls === 'date' || cls === 'posixct' || cls === 'posixlt') return dates(ctx, path, items, format, rclass);
      return atomic(ctx, path, items, rclass);
    }
    case 'vector': {
      if (value.kind === 'object') return ctx.fail(path, `a vector value must be an array, got ${describe(value)}`);
      const items = value.kind === 'array' ? value.items : [value];
      const cls = rclass?.toLowerCase();
      if (format !== undefined || cls === 'date' || cls === 'posixct' || cls === 'posixlt') {
        return dates(ctx, path, items, format, rclass);
      }
      return atomic(ctx, path, items, rclass);
    }
    case 'date': {
      if (value.kind === 'object') return ctx.fail(path, `a date value must be a string, got ${describe(value)}`);
      const items = value.kind === 'array' ? value.items : [value];
      return dates(ctx, path, items, format, rclass);
    }
    case 'matrix':
      return matrix(ctx, path, value, rclass);
    case 'factor':
      return factor(ctx, path, node, value, rclass);
    case 'list':
      return list(ctx, path, value);
    default:
      return dataframe(ctx, path, value);
  }
}

function checkName(name: string): void {
  if (name === '') throw new InputEncodingError(name, name, 'an input needs a name');
  if (name.includes('\0')) throw new InputEncodingError(name, name, 'an input name cannot contain NUL');
}

/**
 * Decodes one encoded object (a JSON text, a tree from parseJsonTree, or an already parsed
 * value) named `name`.
 */
export function decodeInput(name: string, markup: JsonNode | string | unknown, options: InputDecodeOptions = {}): RValue {
  checkName(name);
  const ctx = new Ctx(name, options);
  let node: JsonNode;
  if (typeof markup === 'string') {
    try {
      node = parseJsonTree(markup);
    } catch (e) {
      if (e instanceof JsonSyntaxError) ctx.fail(name, `not valid JSON: ${e.message}`);
      throw e;
    }
  } else node = isJsonNode(markup) ? markup : jsonTreeOf(markup);
  return decodeNode(ctx, name, node);
}

function isJsonNode(x: unknown): x is JsonNode {
  if (x === null || typeof x !== 'object') return false;
  const k = (x as { kind?: unknown }).kind;
  if (k === 'object') return (x as { entries?: unknown }).entries instanceof Map;
  if (k === 'array') return Array.isArray((x as { items?: unknown }).items);
  return k === 'null' || k === 'boolean' || k === 'number' || k === 'string';
}

/**
 * Decodes the `inputs` parameter: the JSON text (preferred: keeps `5` apart from `5.0`) or an
 * already parsed object. Inputs come back in the order they were given. Throws
 * InputEncodingError for anything malformed, before returning anything.
 */
export function decodeInputs(inputs: string | unknown, options: InputDecodeOptions = {}): DecodedInput[] {
  let root: JsonNode;
  if (typeof inputs === 'string') {
    if (inputs.trim() === '') return [];
    try {
      root = parseJsonTree(inputs);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new InputEncodingError(null, '', `inputs is not valid JSON: ${e.message}`);
      throw e;
    }
  } else {
    root = isJsonNode(inputs) ? inputs : jsonTreeOf(inputs);
  }
  if (root.kind === 'null') return [];
  if (root.kind !== 'object') {
    throw new InputEncodingError(null, '', `inputs must be a JSON object keyed by input name, got ${describe(root)}`);
  }
  return [...root.entries].map(([name, node]) => ({ name, value: decodeInput(name, node, options) }));
}

/**
 * A csvinputs value as R reads a primitive: TRUE/FALSE (T, F, true, false, True, False) →
 * logical, whole numbers → integer, other numbers (also Inf, NaN, hex) → double, NA or empty →
 * logical NA, anything else → character.
 */
export function csvValue(raw: string): RValue {
  const s = raw.trim();
  if (s === '' || s === 'NA') return { type: 'logical', value: [null] };
  if (TRUE_STRINGS.has(s)) return { type: 'logical', value: [true] };
  if (FALSE_STRINGS.has(s)) return { type: 'logical', value: [false] };
  if (R_INTEGER.test(s)) {
    const n = Number(s);
    if (n >= INT_MIN && n <= INT_MAX) return { type: 'integer', value: [n] };
    return { type: 'double', value: Float64Array.of(n) };
  }
  if (R_NUMBER.test(s)) return { type: 'double', value: Float64Array.of(Number(s)) };
  if (R_HEX.test(s)) {
    const n = (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[-+]/, ''), 16);
    return n >= INT_MIN && n <= INT_MAX
      ? { type: 'integer', value: [n] }
      : { type: 'double', value: Float64Array.of(n) };
  }
  const special: Record<string, number> = { Inf: Infinity, '-Inf': -Infinity, '+Inf': Infinity, NaN: NaN, inf: Infinity, '-inf': -Infinity };
  if (s in special) return { type: 'double', value: Float64Array.of(special[s]) };
  return { type: 'string', value: [raw.trim()] };
}

/** Decodes the `csvinputs` parameter ("name,value,name,value"). */
export function decodeCsvInputs(csvinputs: string): DecodedInput[] {
  if (csvinputs.trim() === '') return [];
  const parts = csvinputs.split(',');
  if (parts.length % 2 !== 0) {
    throw new InputEncodingError(null, '', `csvinputs must hold name,value pairs; got ${parts.length} items`);
  }
  const out: DecodedInput[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i].trim();
    checkName(name);
    out.push({ name, value: csvValue(parts[i + 1]) });
  }
  return out;
}
