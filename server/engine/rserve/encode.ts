/**
 * The SEXP model of `sexp.ts` → QAP1. Pure functions, no socket.
 *
 * Objects are measured first (sizes are memoised per encoder) so a packet is allocated once at
 * its final size; doubles and complex numbers are copied as raw bytes, which keeps R's NA_real_
 * bit pattern and is fast for 10^7 values.
 */
import os from 'node:os';
import { BufferWriter } from './buffer-writer';
import {
  BOOL_FALSE,
  BOOL_NA,
  BOOL_TRUE,
  LARGE_THRESHOLD,
  NA_INTEGER,
  XT_ARRAY_BOOL,
  XT_ARRAY_CPLX,
  XT_ARRAY_DOUBLE,
  XT_ARRAY_INT,
  XT_ARRAY_STR,
  XT_HAS_ATTR,
  XT_LANG_NOTAG,
  XT_LANG_TAG,
  XT_LARGE,
  XT_LIST_NOTAG,
  XT_LIST_TAG,
  XT_NULL,
  XT_RAW,
  XT_SYMNAME,
  XT_VECTOR,
} from './constants';
import type { RAttributes, RPairList, RValue } from './sexp';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * A function call to evaluate with `CMD_eval` (an R language object), e.g.
 * `{ type: 'call', fn: 'setwd', args: [{ value: str('/tmp') }] }` is `setwd("/tmp")`.
 * Arguments may themselves be calls or symbols; values are passed as data, never as code.
 */
export interface RCall {
  type: 'call';
  fn: string;
  args: { name?: string; value: Encodable }[];
}

export type Encodable = RValue | RCall;

export class EncodeError extends TypeError {
  readonly code = 'RSERVE_ENCODE';
}

const align4 = (n: number): number => (n + 3) & ~3;

function headerSize(payload: number): number {
  return payload > LARGE_THRESHOLD ? 8 : 4;
}

function hasAttributes(v: RValue): v is RValue & { attributes: RAttributes } {
  if (v.type === 'null' || !v.attributes) return false;
  for (const _ in v.attributes) return true;
  return false;
}

function checkString(s: string): void {
  if (s.includes('\0')) throw new EncodeError('R strings cannot contain NUL characters');
}

/** Encodes SEXPs; one instance per message (it caches sizes of the objects it has measured). */
export class SexpEncoder {
  private readonly sizes = new Map<object, number>();
  private readonly attrLists = new Map<RAttributes, RPairList>();

  private attributeList(attrs: RAttributes): RPairList {
    let list = this.attrLists.get(attrs);
    if (!list) {
      list = { type: 'pairlist', value: Object.entries(attrs).map(([tag, value]) => ({ tag, value })) };
      this.attrLists.set(attrs, list);
    }
    return list;
  }

  /** The full encoded size of `v` in bytes, header included. */
  measure(v: Encodable): number {
    const cached = this.sizes.get(v);
    if (cached !== undefined) return cached;
    let payload = v.type !== 'call' && hasAttributes(v) ? this.measure(this.attributeList(v.attributes)) : 0;
    payload += this.bodySize(v);
    const total = headerSize(payload) + payload;
    this.sizes.set(v, total);
    return total;
  }

  private bodySize(v: Encodable): number {
    switch (v.type) {
      case 'null':
        return 0;
      case 'logical':
        return 4 + align4(v.value.length);
      case 'integer':
        return 4 * v.value.length;
      case 'double':
        return 8 * v.value.length;
      case 'complex':
        if (v.re.length !== v.im.length) throw new EncodeError('complex vector: re and im differ in length');
        return 16 * v.re.length;
      case 'string': {
        let n = 0;
        for (const s of v.value) n += s === null ? 2 : Buffer.byteLength(s, 'utf8') + 1;
        return align4(n);
      }
      case 'raw':
        return 4 + align4(v.value.length);
      case 'list': {
        let n = 0;
        for (const item of v.value) n += this.measure(item);
        return n;
      }
      case 'pairlist': {
        const tagged = v.value.some((e) => e.tag !== null);
        let n = 0;
        for (const e of v.value) {
          n += this.measure(e.value);
          if (tagged) n += e.tag === null ? 4 : symbolSize(e.tag);
        }
        return n;
      }
      case 'call': {
        const tagged = v.args.some((a) => a.name !== undefined);
        let n = symbolSize(v.fn) + (tagged ? 4 : 0);
        for (const a of v.args) {
          n += this.measure(a.value);
          if (tagged) n += a.name === undefined ? 4 : symbolSize(a.name);
        }
        return n;
      }
      case 'symbol':
        return align4(Buffer.byteLength(v.name, 'utf8') + 1);
      case 'opaque':
        throw new EncodeError(`cannot send an opaque R object (${v.rtype}) to R`);
      default: {
        const never: never = v;
        throw new EncodeError(`unknown SEXP type ${JSON.stringify((never as { type?: unknown }).type)}`);
      }
    }
  }

  /** Writes `v` (header, attributes, payload) at the writer's offset. */
  write(w: BufferWriter, v: Encodable): void {
    const total = this.measure(v);
    const start = w.offset;
    const large = total - 4 > LARGE_THRESHOLD;
    const payload = total - (large ? 8 : 4);
    const attrs = v.type !== 'call' && hasAttributes(v) ? this.attributeList(v.attributes) : null;
    const flag = attrs ? XT_HAS_ATTR : 0;
    w.itemHeader(xtOf(v) | flag, payload, large, XT_LARGE);
    if (attrs) this.write(w, attrs);
    this.writeBody(w, v);
    if (w.offset - start !== total) {
      throw new EncodeError(`internal: ${v.type} measured ${total} bytes but wrote ${w.offset - start}`);
    }
  }

  private writeBody(w: BufferWriter, v: Encodable): void {
    switch (v.type) {
      case 'null':
        return;
      case 'logical': {
        w.uint32(v.value.length);
        for (const b of v.value) {
          if (b !== null && typeof b !== 'boolean') throw new EncodeError('logical vector holds a non-boolean');
          w.uint8(b === null ? BOOL_NA : b ? BOOL_TRUE : BOOL_FALSE);
        }
        w.pad4(0xff);
        return;
      }
      case 'integer':
        writeInts(w, v.value);
        return;
      case 'double':
        if (!(v.value instanceof Float64Array)) throw new EncodeError('double vector must be a Float64Array');
        w.bytes(LITTLE_ENDIAN ? v.value : swapped(v.value));
        return;
      case 'complex': {
        const n = v.re.length;
        const out = new Uint32Array(n * 4);
        const re32 = new Uint32Array(v.re.buffer, v.re.byteOffset, n * 2);
        const im32 = new Uint32Array(v.im.buffer, v.im.byteOffset, n * 2);
        for (let i = 0; i < n; i++) {
          out[4 * i] = re32[2 * i];
          out[4 * i + 1] = re32[2 * i + 1];
          out[4 * i + 2] = im32[2 * i];
          out[4 * i + 3] = im32[2 * i + 1];
        }
        w.bytes(out);
        return;
      }
      case 'string': {
        const start = w.offset;
        for (const s of v.value) {
          if (s === null) {
            w.uint8(0xff).uint8(0);
          } else {
            if (typeof s !== 'string') throw new EncodeError('string vector holds a non-string');
            checkString(s);
            w.utf8(s).uint8(0);
          }
        }
        // Pad with 0x01 so the padding never reads as another (empty) string.
        while ((w.offset - start) & 3) w.uint8(1);
        return;
      }
      case 'raw':
        w.uint32(v.value.length).bytes(v.value).pad4(0);
        return;
      case 'list':
        for (const item of v.value) this.write(w, item);
        return;
      case 'pairlist': {
        const tagged = v.value.some((e) => e.tag !== null);
        for (const e of v.value) {
          this.write(w, e.value);
          if (tagged) writeTag(w, e.tag);
        }
        return;
      }
      case 'call': {
        const tagged = v.args.some((a) => a.name !== undefined);
        writeSymbol(w, v.fn);
        if (tagged) writeTag(w, null);
        for (const a of v.args) {
          this.write(w, a.value);
          if (tagged) writeTag(w, a.name ?? null);
        }
        return;
      }
      case 'symbol':
        writeSymbolBody(w, v.name);
        return;
      case 'opaque':
        throw new EncodeError(`cannot send an opaque R object (${v.rtype}) to R`);
    }
  }
}

function xtOf(v: Encodable): number {
  switch (v.type) {
    case 'null':
      return XT_NULL;
    case 'logical':
      return XT_ARRAY_BOOL;
    case 'integer':
      return XT_ARRAY_INT;
    case 'double':
      return XT_ARRAY_DOUBLE;
    case 'complex':
      return XT_ARRAY_CPLX;
    case 'string':
      return XT_ARRAY_STR;
    case 'raw':
      return XT_RAW;
    case 'list':
      return XT_VECTOR;
    case 'pairlist':
      return v.value.some((e) => e.tag !== null) ? XT_LIST_TAG : XT_LIST_NOTAG;
    case 'call':
      return v.args.some((a) => a.name !== undefined) ? XT_LANG_TAG : XT_LANG_NOTAG;
    case 'symbol':
      return XT_SYMNAME;
    case 'opaque':
      throw new EncodeError(`cannot send an opaque R object (${v.rtype}) to R`);
  }
}

function symbolSize(name: string): number {
  return 4 + align4(Buffer.byteLength(name, 'utf8') + 1);
}

function writeSymbolBody(w: BufferWriter, name: string): void {
  checkString(name);
  w.utf8(name).uint8(0).pad4(0);
}

function writeSymbol(w: BufferWriter, name: string): void {
  w.itemHeader(XT_SYMNAME, symbolSize(name) - 4, false, XT_LARGE);
  writeSymbolBody(w, name);
}

function writeTag(w: BufferWriter, tag: string | null): void {
  if (tag === null) w.itemHeader(XT_NULL, 0, false, XT_LARGE);
  else writeSymbol(w, tag);
}

function writeInts(w: BufferWriter, values: readonly (number | null)[]): void {
  const n = values.length;
  const ints = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      ints[i] = NA_INTEGER;
    } else if (Number.isInteger(v) && v > NA_INTEGER && v <= 0x7fffffff) {
      ints[i] = v;
    } else {
      throw new EncodeError(`integer vector holds ${String(v)}, which is not an R integer`);
    }
  }
  w.bytes(LITTLE_ENDIAN ? ints : swapped(ints));
}

/** Byte-swaps a copy of a typed array (only on big-endian hosts). */
function swapped(a: Float64Array | Int32Array): Buffer {
  const b = Buffer.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return a instanceof Float64Array ? b.swap64() : b.swap32();
}

/** Encodes one SEXP on its own (header included). */
export function encodeSexp(v: Encodable): Buffer {
  const enc = new SexpEncoder();
  const w = new BufferWriter(enc.measure(v));
  enc.write(w, v);
  return w.result();
}

// ---- small constructors, handy for callers building inputs ----------------------------------

export const rNull = (): RValue => ({ type: 'null' });
export const rString = (...value: (string | null)[]): RValue => ({ type: 'string', value });
export const rInt = (...value: (number | null)[]): RValue => ({ type: 'integer', value });
export const rLogical = (...value: (boolean | null)[]): RValue => ({ type: 'logical', value });
export const rDouble = (...value: number[]): RValue => ({ type: 'double', value: Float64Array.from(value) });
export const rSymbol = (name: string): RValue => ({ type: 'symbol', name });
/** A named argument for `rCall`. */
export interface RNamedArg {
  name: string;
  value: Encodable;
}
export function rCall(fn: string, ...args: (Encodable | RNamedArg)[]): RCall {
  return { type: 'call', fn, args: args.map((a) => ('type' in a ? { value: a } : a)) };
}
