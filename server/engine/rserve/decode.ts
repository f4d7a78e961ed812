/**
 * QAP1 → the SEXP model of `sexp.ts`. Pure functions over Buffers, no socket.
 *
 * Numeric vectors are copied into typed arrays with one memcpy (bit-exact, so R's NA_real_
 * payload survives); when the packet body owns its memory, the vector fills most of it and is
 * 8-byte aligned, the Float64Array is a view instead of a copy.
 */
import os from 'node:os';
import { BufferReader } from './buffer-reader';
import {
  DT_BYTESTREAM,
  DT_INT,
  DT_LARGE,
  DT_SEXP,
  DT_STRING,
  NA_INTEGER,
  NA_STRING_BYTE,
  SEXPTYPE_NAMES,
  XT_ARRAY_BOOL,
  XT_ARRAY_CPLX,
  XT_ARRAY_DOUBLE,
  XT_ARRAY_INT,
  XT_ARRAY_STR,
  XT_BOOL,
  XT_CLOS,
  XT_DOUBLE,
  XT_HAS_ATTR,
  XT_INT,
  XT_LANG_NOTAG,
  XT_LANG_TAG,
  XT_LARGE,
  XT_LIST_NOTAG,
  XT_LIST_TAG,
  XT_NULL,
  XT_RAW,
  XT_S4,
  XT_STR,
  XT_SYM,
  XT_SYMNAME,
  XT_UNKNOWN,
  XT_VECTOR,
  XT_VECTOR_EXP,
  XT_VECTOR_STR,
} from './constants';
import type { RAttributes, RPairList, RValue } from './sexp';

const LITTLE_ENDIAN = os.endianness() === 'LE';

export class DecodeError extends Error {
  readonly code = 'RSERVE_PROTOCOL';
}

/** True when `buf` is the whole of its ArrayBuffer (so views into it pin nothing else). */
function ownsMemory(buf: Buffer): boolean {
  return buf.byteOffset === 0 && buf.buffer.byteLength === buf.length;
}

function readDoubles(buf: Buffer, offset: number, n: number): Float64Array {
  const bytes = n * 8;
  if (LITTLE_ENDIAN) {
    const absolute = buf.byteOffset + offset;
    if (absolute % 8 === 0 && ownsMemory(buf) && bytes * 2 >= buf.length) {
      return new Float64Array(buf.buffer, absolute, n);
    }
    const out = new Float64Array(n);
    new Uint8Array(out.buffer).set(buf.subarray(offset, offset + bytes));
    return out;
  }
  const out = new Float64Array(n);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    outView.setUint32(i * 8, buf.readUInt32LE(offset + i * 8), true);
    outView.setUint32(i * 8 + 4, buf.readUInt32LE(offset + i * 8 + 4), true);
  }
  return out;
}

function readInts(buf: Buffer, offset: number, n: number): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(n);
  if (LITTLE_ENDIAN && n > 64) {
    const ints = new Int32Array(n);
    new Uint8Array(ints.buffer).set(buf.subarray(offset, offset + n * 4));
    for (let i = 0; i < n; i++) {
      const v = ints[i];
      out[i] = v === NA_INTEGER ? null : v;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = buf.readInt32LE(offset + i * 4);
    out[i] = v === NA_INTEGER ? null : v;
  }
  return out;
}

function readStrings(buf: Buffer, offset: number, end: number): (string | null)[] {
  const out: (string | null)[] = [];
  let p = offset;
  while (p < end) {
    const z = buf.indexOf(0, p);
    if (z < 0 || z >= end) break; // the rest is padding (0x01)
    if (buf[p] === NA_STRING_BYTE) {
      // A lone 0xff is NA; a doubled leading 0xff escapes a string that really starts with it.
      out.push(z === p + 1 ? null : buf.toString('utf8', p + 1, z));
    } else {
      out.push(buf.toString('utf8', p, z));
    }
    p = z + 1;
  }
  return out;
}

function readComplex(buf: Buffer, offset: number, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  // Move 32-bit words, not doubles, so NA payloads are kept bit for bit.
  const src = new Uint32Array(n * 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(src.buffer).set(buf.subarray(offset, offset + n * 16));
  } else {
    for (let i = 0; i < n * 4; i++) src[i] = buf.readUInt32LE(offset + i * 4);
  }
  const re32 = new Uint32Array(re.buffer);
  const im32 = new Uint32Array(im.buffer);
  for (let i = 0; i < n; i++) {
    re32[2 * i] = src[4 * i];
    re32[2 * i + 1] = src[4 * i + 1];
    im32[2 * i] = src[4 * i + 2];
    im32[2 * i + 1] = src[4 * i + 3];
  }
  return { re, im };
}

function withAttributes<T extends RValue>(value: T, attributes: RAttributes | undefined): T {
  if (attributes) value.attributes = attributes;
  return value;
}

function pairlistToAttributes(list: RValue): RAttributes {
  const out: RAttributes = {};
  if (list.type !== 'pairlist') return out;
  for (const { tag, value } of list.value) {
    if (tag !== null) out[tag] = value;
  }
  return out;
}

function tagName(v: RValue): string | null {
  if (v.type === 'symbol') return v.name;
  if (v.type === 'string') return v.value[0] ?? null;
  return null;
}

/** Decodes one XT_ item at the reader's offset and moves the reader past it. */
export function decodeSexp(reader: BufferReader): RValue {
  const { type: rawType, length } = reader.itemHeader(XT_LARGE);
  const end = reader.offset + length;
  if (end > reader.end) throw new DecodeError(`SEXP of ${length} bytes overruns its container`);
  const buf = reader.buffer;
  let attributes: RAttributes | undefined;
  if (rawType & XT_HAS_ATTR) {
    const sub = new BufferReader(buf, reader.offset, end);
    attributes = pairlistToAttributes(decodeSexp(sub));
    reader.offset = sub.offset;
  }
  const xt = rawType & 63;
  const p = reader.offset;
  const n = end - p;
  let value: RValue;

  switch (xt) {
    case XT_NULL:
      value = { type: 'null' };
      break;
    case XT_INT:
    case XT_ARRAY_INT:
      value = { type: 'integer', value: readInts(buf, p, n >>> 2) };
      break;
    case XT_DOUBLE:
    case XT_ARRAY_DOUBLE:
      value = { type: 'double', value: readDoubles(buf, p, Math.floor(n / 8)) };
      break;
    case XT_ARRAY_CPLX: {
      const { re, im } = readComplex(buf, p, Math.floor(n / 16));
      value = { type: 'complex', re, im };
      break;
    }
    case XT_ARRAY_STR:
      value = { type: 'string', value: readStrings(buf, p, end) };
      break;
    case XT_STR: {
      const z = buf.indexOf(0, p);
      const stop = z < 0 || z > end ? end : z;
      const isNa = buf[p] === NA_STRING_BYTE && stop === p + 1;
      value = { type: 'string', value: [isNa ? null : buf.toString('utf8', p, stop)] };
      break;
    }
    case XT_ARRAY_BOOL: {
      const count = buf.readInt32LE(p);
      const out: (boolean | null)[] = new Array<boolean | null>(count);
      for (let i = 0; i < count; i++) {
        const b = buf[p + 4 + i];
        out[i] = b === 1 ? true : b === 0 ? false : null;
      }
      value = { type: 'logical', value: out };
      break;
    }
    case XT_BOOL: {
      const b = buf[p];
      value = { type: 'logical', value: [b === 1 ? true : b === 0 ? false : null] };
      break;
    }
    case XT_RAW: {
      const count = buf.readInt32LE(p);
      value = { type: 'raw', value: Buffer.from(buf.subarray(p + 4, p + 4 + count)) };
      break;
    }
    case XT_VECTOR:
    case XT_VECTOR_EXP:
    case XT_VECTOR_STR: {
      const items: RValue[] = [];
      const sub = new BufferReader(buf, p, end);
      while (sub.offset < end) items.push(decodeSexp(sub));
      value = { type: 'list', value: items };
      break;
    }
    case XT_LIST_TAG:
    case XT_LANG_TAG:
    case XT_LIST_NOTAG:
    case XT_LANG_NOTAG: {
      const tagged = xt === XT_LIST_TAG || xt === XT_LANG_TAG;
      const items: RPairList['value'] = [];
      const sub = new BufferReader(buf, p, end);
      while (sub.offset < end) {
        const v = decodeSexp(sub);
        const tag = tagged && sub.offset < end ? tagName(decodeSexp(sub)) : null;
        items.push({ tag, value: v });
      }
      value = { type: 'pairlist', value: items };
      break;
    }
    case XT_SYM:
    case XT_SYMNAME: {
      const z = buf.indexOf(0, p);
      const stop = z < 0 || z > end ? end : z;
      value = { type: 'symbol', name: buf.toString('utf8', p, stop) };
      break;
    }
    case XT_CLOS:
      value = { type: 'opaque', rtype: 'closure' };
      break;
    case XT_S4:
      value = { type: 'opaque', rtype: 'S4' };
      break;
    case XT_UNKNOWN: {
      const t = n >= 4 ? buf.readInt32LE(p) : -1;
      value = { type: 'opaque', rtype: SEXPTYPE_NAMES[t] ?? `sexptype-${t}` };
      break;
    }
    default:
      value = { type: 'opaque', rtype: `xt-${xt}` };
  }
  reader.offset = end;
  return withAttributes(value, attributes);
}

/** One command parameter of a response body or OOB packet. */
export type Parameter =
  | { type: 'sexp'; value: RValue }
  | { type: 'string'; value: string }
  | { type: 'int'; value: number }
  | { type: 'bytes'; value: Buffer }
  | { type: 'other'; dt: number; value: Buffer };

/** Decodes the DT_ parameter list of a packet body. */
export function decodeParameters(body: Buffer): Parameter[] {
  const reader = new BufferReader(body);
  const out: Parameter[] = [];
  while (reader.remaining >= 4) {
    const { type, length } = reader.itemHeader(DT_LARGE);
    if (type === 0 && length === 0) break;
    const end = reader.offset + length;
    if (end > body.length) throw new DecodeError(`parameter of ${length} bytes overruns the packet`);
    switch (type) {
      case DT_SEXP:
        out.push({ type: 'sexp', value: decodeSexp(new BufferReader(body, reader.offset, end)) });
        break;
      case DT_STRING: {
        const z = body.indexOf(0, reader.offset);
        const stop = z < 0 || z > end ? end : z;
        out.push({ type: 'string', value: body.toString('utf8', reader.offset, stop) });
        break;
      }
      case DT_INT:
        out.push({ type: 'int', value: body.readInt32LE(reader.offset) });
        break;
      case DT_BYTESTREAM:
        out.push({ type: 'bytes', value: body.subarray(reader.offset, end) });
        break;
      default:
        out.push({ type: 'other', dt: type, value: body.subarray(reader.offset, end) });
    }
    reader.offset = end;
  }
  return out;
}

/** The SEXP carried by a response (the first DT_SEXP parameter), or R NULL when there is none. */
export function decodeResponseSexp(body: Buffer): RValue {
  if (body.length === 0) return { type: 'null' };
  const reader = new BufferReader(body);
  const { type, length } = reader.itemHeader(DT_LARGE);
  if (type !== DT_SEXP) {
    const params = decodeParameters(body);
    const sexp = params.find((p): p is { type: 'sexp'; value: RValue } => p.type === 'sexp');
    if (sexp) return sexp.value;
    throw new DecodeError(`expected a SEXP in the response, got data type ${type}`);
  }
  return decodeSexp(new BufferReader(body, reader.offset, reader.offset + length));
}
