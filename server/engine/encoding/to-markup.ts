/**
 * R object (as decoded from Rserve, see ../rserve/sexp.ts) → DeployR-encoded object.
 *
 *   encodeRObject(name, value, options)  the full encoding (workspace/get, robjects)
 *   summarizeRObject(name, value)        the value-less summary of workspace/list
 *
 * Classification (first match wins):
 *   data.frame (a list with class "data.frame")        → dataframe, each column encoded
 *   factor / ordered (integer with levels)            → factor
 *   POSIXlt (a list), POSIXct, Date                   → date (length 1) or vector + format
 *   atomic with a 2-d `dim`                           → matrix (array of rows)
 *   logical / integer / double / character            → primitive (length 1) or vector
 *   any other list (also S3 objects built on lists)   → list
 *   NULL                                              → primitive with value null
 *   everything else (functions, environments, S4, complex, raw, language, >2-d arrays)
 *                                                     → { name, type: "unsupported", rclass }
 * `rclass` is R's class(x)[1] ("numeric" for doubles, "matrix" for a matrix, "Date", ...).
 */
import { classOf, isNaReal, stringAttr, type RValue } from '../rserve/sexp';
import {
  daysFromCivil,
  formatPosixct,
  formatRDate,
  formatWallTime,
  isKnownTimeZone,
  utcMsOf,
  wallTimeOf,
  zonedWallToMs,
  type WallTime,
} from './dates';
import { markDoubleValues } from './json';
import {
  DATE_FORMAT,
  DATETIME_FORMAT,
  DEFAULT_NEGATIVE_INFINITY,
  DEFAULT_POSITIVE_INFINITY,
  UNSUPPORTED_TYPE,
  type DateFormat,
  type EncodedRObject,
  type EncodingType,
  type MarkupOptions,
  type MarkupScalar,
  type WorkspaceObjectSummary,
} from './types';

type Kind =
  | 'dataframe'
  | 'factor'
  | 'posixlt'
  | 'posixct'
  | 'rdate'
  | 'matrix'
  | 'atomic'
  | 'list'
  | 'null'
  | 'unsupported';

type AtomicValue = Extract<RValue, { type: 'logical' | 'integer' | 'double' | 'string' }>;

function isAtomic(v: RValue): v is AtomicValue {
  return v.type === 'logical' || v.type === 'integer' || v.type === 'double' || v.type === 'string';
}

function lengthOf(v: AtomicValue): number {
  return v.value.length;
}

function dimOf(v: RValue): number[] | undefined {
  const d = v.attributes?.dim;
  if (!d) return undefined;
  if (d.type === 'integer') return d.value.map((x) => x ?? 0);
  if (d.type === 'double') return Array.from(d.value);
  return undefined;
}

function classify(v: RValue): Kind {
  const cls = classOf(v);
  if (v.type === 'null') return 'null';
  if (v.type === 'list') {
    if (cls.includes('data.frame')) return 'dataframe';
    if (cls.includes('POSIXlt')) return 'posixlt';
    return 'list';
  }
  if (!isAtomic(v)) return 'unsupported';
  if (v.type === 'integer' && cls.includes('factor') && stringAttr(v, 'levels')) return 'factor';
  const numeric = v.type === 'double' || v.type === 'integer';
  if (numeric && cls.includes('POSIXct')) return 'posixct';
  if (numeric && cls.includes('Date')) return 'rdate';
  const dim = dimOf(v);
  if (dim && dim.length === 2) return dim[0] * dim[1] === lengthOf(v) ? 'matrix' : 'unsupported';
  if (dim && dim.length > 2) return 'unsupported';
  return 'atomic';
}

const OPAQUE_CLASSES: Record<string, string> = {
  closure: 'function',
  builtin: 'function',
  special: 'function',
  function: 'function',
  environment: 'environment',
  externalptr: 'externalptr',
  language: 'call',
  call: 'call',
  expression: 'expression',
  promise: 'promise',
  bytecode: 'bytecode',
  weakref: 'weakref',
  S4: 'S4',
  s4: 'S4',
};

/** R's class(x)[1] for a decoded value. */
export function rclassOf(v: RValue): string {
  const cls = classOf(v);
  if (cls.length > 0) return cls[0];
  const dim = dimOf(v);
  switch (v.type) {
    case 'null':
      return 'NULL';
    case 'logical':
    case 'integer':
    case 'double':
    case 'string':
    case 'complex':
    case 'raw':
      if (dim && dim.length === 2) return 'matrix';
      if (dim && dim.length !== 1) return 'array';
      return v.type === 'double' ? 'numeric' : v.type === 'string' ? 'character' : v.type;
    case 'list':
      return dim && dim.length === 2 ? 'matrix' : 'list';
    case 'pairlist':
      return 'pairlist';
    case 'symbol':
      return 'name';
    case 'opaque':
      return OPAQUE_CLASSES[v.rtype] ?? v.rtype;
  }
}

/** The DeployR encoding type an object gets (`unsupported` when it has none). */
export function encodingTypeOf(v: RValue): EncodingType | typeof UNSUPPORTED_TYPE {
  switch (classify(v)) {
    case 'dataframe':
      return 'dataframe';
    case 'factor':
      return 'factor';
    case 'posixlt':
      return posixltLength(v) === 1 ? 'date' : 'vector';
    case 'posixct':
    case 'rdate':
      return (v as AtomicValue).value.length === 1 ? 'date' : 'vector';
    case 'matrix':
      return 'matrix';
    case 'atomic':
      return (v as AtomicValue).value.length === 1 ? 'primitive' : 'vector';
    case 'list':
      return 'list';
    case 'null':
      return 'primitive';
    case 'unsupported':
      return UNSUPPORTED_TYPE;
  }
}

/** The `/r/project/workspace/list` entry of an object. */
export function summarizeRObject(name: string, value: RValue): WorkspaceObjectSummary {
  const type = encodingTypeOf(value);
  return { branch: type === 'list' || type === 'dataframe', rclass: rclassOf(value), name, type, xdf: null };
}

// ---------------------------------------------------------------------------------------------
// Scalars

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

interface Specials {
  nan: MarkupScalar;
  posInf: MarkupScalar;
  negInf: MarkupScalar;
}

function given(s: string | null | undefined): s is string {
  return typeof s === 'string' && s !== '';
}

function specialsOf(options: MarkupOptions): Specials {
  const nan = given(options.nan) ? (JSON_NUMBER.test(options.nan) ? Number(options.nan) : options.nan) : null;
  let posInf: MarkupScalar = DEFAULT_POSITIVE_INFINITY;
  let negInf: MarkupScalar = DEFAULT_NEGATIVE_INFINITY;
  if (given(options.infinity)) {
    const inf = options.infinity;
    if (JSON_NUMBER.test(inf)) {
      posInf = Number(inf);
      negInf = -Number(inf);
    } else {
      posInf = inf;
      negInf = inf.startsWith('-') ? inf.slice(1) : `-${inf}`;
    }
  }
  return { nan, posInf, negInf };
}

function doubleAt(values: Float64Array, i: number, sp: Specials): MarkupScalar {
  const x = values[i];
  if (Number.isNaN(x)) return isNaReal(values, i) ? null : sp.nan;
  if (x === Infinity) return sp.posInf;
  if (x === -Infinity) return sp.negInf;
  return x;
}

function scalarsOf(v: AtomicValue, sp: Specials): MarkupScalar[] {
  switch (v.type) {
    case 'logical':
    case 'integer':
    case 'string':
      return v.value.slice();
    case 'double': {
      const out: MarkupScalar[] = new Array<MarkupScalar>(v.value.length);
      for (let i = 0; i < v.value.length; i += 1) out[i] = doubleAt(v.value, i, sp);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

function numberAt(v: AtomicValue, i: number): number | null {
  if (v.type === 'double') {
    const x = v.value[i];
    return Number.isFinite(x) ? x : null;
  }
  if (v.type === 'integer') return v.value[i];
  return null;
}

function dateStrings(v: AtomicValue): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = 0; i < v.value.length; i += 1) {
    const d = numberAt(v, i);
    out.push(d === null ? null : formatRDate(d));
  }
  return out;
}

function posixctStrings(v: AtomicValue): (string | null)[] {
  const tz = stringAttr(v, 'tzone')?.[0] ?? '';
  const out: (string | null)[] = [];
  for (let i = 0; i < v.value.length; i += 1) {
    const s = numberAt(v, i);
    out.push(s === null ? null : formatPosixct(s, tz));
  }
  return out;
}

function listComponent(v: RValue, name: string): RValue | undefined {
  if (v.type !== 'list') return undefined;
  const names = stringAttr(v, 'names');
  const i = names ? names.indexOf(name) : -1;
  return i >= 0 ? v.value[i] : undefined;
}

function componentNumber(c: RValue | undefined, i: number): number | null {
  if (!c || !isAtomic(c) || c.value.length === 0) return null;
  const j = i % c.value.length;
  return numberAt(c, j);
}

function posixltLength(v: RValue): number {
  const sec = listComponent(v, 'sec');
  return sec && isAtomic(sec) ? sec.value.length : 0;
}

function posixltStrings(v: RValue): (string | null)[] {
  const n = posixltLength(v);
  const tz = stringAttr(v, 'tzone')?.[0] ?? '';
  const [sec, min, hour, mday, mon, year, gmtoff] = ['sec', 'min', 'hour', 'mday', 'mon', 'year', 'gmtoff'].map(
    (c) => listComponent(v, c),
  );
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i += 1) {
    const f = [sec, min, hour, mday, mon, year].map((c) => componentNumber(c, i));
    if (f.some((x) => x === null)) {
      out.push(null);
      continue;
    }
    const [s, mi, h, d, mo, y] = f as number[];
    // Normalise like R (fields may be out of range, e.g. mday = 32).
    const yy = 1900 + y + Math.floor(mo / 12);
    const mm = (((mo % 12) + 12) % 12) + 1;
    const wallMs = (daysFromCivil(yy, mm, 1) + d - 1) * 86_400_000 + (h * 3600 + mi * 60 + Math.floor(s)) * 1000;
    const wall: WallTime = wallTimeOf(wallMs);
    let offset = 0;
    const g = componentNumber(gmtoff, i);
    if (g !== null) offset = Math.round(g / 60);
    else if (tz && isKnownTimeZone(tz)) {
      const instant = zonedWallToMs(wall, tz);
      if (instant !== undefined) offset = Math.round((utcMsOf(wall) - instant) / 60_000);
    }
    out.push(formatWallTime(wall, offset));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface Ctx {
  options: MarkupOptions;
  specials: Specials;
}

function unsupported(name: string, v: RValue): EncodedRObject {
  return { name, type: UNSUPPORTED_TYPE, rclass: rclassOf(v) };
}

function dateObject(
  name: string,
  rclass: string,
  values: (string | null)[],
  format: DateFormat,
  forceVector: boolean,
): EncodedRObject {
  if (values.length === 1 && !forceVector) return { name, type: 'date', rclass, value: values[0], format };
  return { name, type: 'vector', rclass, value: values, format };
}

function encode(name: string, v: RValue, ctx: Ctx, forceVector: boolean): EncodedRObject {
  const kind = classify(v);
  switch (kind) {
    case 'null':
      return { name, type: 'primitive', rclass: 'NULL', value: null };
    case 'unsupported':
      return unsupported(name, v);
    case 'dataframe': {
      const list = v as Extract<RValue, { type: 'list' }>;
      const names = stringAttr(v, 'names') ?? [];
      const vectors = ctx.options.encodeDataFramePrimitiveAsVector === true;
      const value = list.value.map((col, i) => encode(names[i] ?? String(i + 1), col, ctx, vectors));
      return { name, type: 'dataframe', rclass: rclassOf(v), value };
    }
    case 'list': {
      const list = v as Extract<RValue, { type: 'list' }>;
      const names = stringAttr(v, 'names') ?? [];
      const value = list.value.map((el, i) => {
        const n = names[i];
        return encode(n !== null && n !== undefined && n !== '' ? n : String(i + 1), el, ctx, false);
      });
      return { name, type: 'list', rclass: rclassOf(v), value };
    }
    case 'factor': {
      const f = v as Extract<RValue, { type: 'integer' }>;
      const levels = (stringAttr(v, 'levels') ?? []).map((l) => l ?? 'NA');
      const value = f.value.map((code) => (code === null ? null : (levels[code - 1] ?? null)));
      const cls = classOf(v);
      return {
        name,
        type: 'factor',
        rclass: rclassOf(v),
        value,
        labels: levels,
        levels: levels.slice(),
        ordered: cls.includes('ordered'),
      };
    }
    case 'rdate':
      return dateObject(name, rclassOf(v), dateStrings(v as AtomicValue), DATE_FORMAT, forceVector);
    case 'posixct':
      return dateObject(name, rclassOf(v), posixctStrings(v as AtomicValue), DATETIME_FORMAT, forceVector);
    case 'posixlt':
      return dateObject(name, rclassOf(v), posixltStrings(v), DATETIME_FORMAT, forceVector);
    case 'matrix': {
      const a = v as AtomicValue;
      const [nrow, ncol] = dimOf(v) as number[];
      const flat = scalarsOf(a, ctx.specials);
      const rows: MarkupScalar[][] = [];
      for (let r = 0; r < nrow; r += 1) {
        const row: MarkupScalar[] = new Array<MarkupScalar>(ncol);
        for (let c = 0; c < ncol; c += 1) row[c] = flat[r + c * nrow];
        rows.push(row);
      }
      const out: EncodedRObject = { name, type: 'matrix', rclass: rclassOf(v), value: rows };
      return a.type === 'double' ? markDoubleValues(out) : out;
    }
    case 'atomic': {
      const a = v as AtomicValue;
      const values = scalarsOf(a, ctx.specials);
      const out: EncodedRObject =
        values.length === 1 && !forceVector
          ? { name, type: 'primitive', rclass: rclassOf(v), value: values[0] }
          : { name, type: 'vector', rclass: rclassOf(v), value: values };
      return a.type === 'double' ? markDoubleValues(out) : out;
    }
  }
}

/**
 * DeployR-encodes an R object under `name`. Never throws: what has no encoding comes back as
 * `{ name, type: "unsupported", rclass }`.
 */
export function encodeRObject(name: string, value: RValue, options: MarkupOptions = {}): EncodedRObject {
  return encode(name, value, { options, specials: specialsOf(options) }, false);
}
