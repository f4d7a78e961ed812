/**
 * The in-memory model of an R object as it crosses the Rserve wire.
 *
 * This is the contract between the QAP1 client (which decodes/encodes it) and the DeployR
 * encoding (which turns it into markup and back). Vectors keep R's own NA conventions:
 * - logical / integer / string: `null` is NA.
 * - double: a Float64Array, so 10^7 values stay one flat buffer; NA is R's NA_real_ bit
 *   pattern (a NaN whose low word is 1954), told apart from NaN with `isNaReal`.
 */

export type RAttributes = { [name: string]: RValue };

interface Base {
  attributes?: RAttributes;
}

export interface RNull extends Base { type: 'null' }
export interface RLogical extends Base { type: 'logical'; value: (boolean | null)[] }
export interface RInteger extends Base { type: 'integer'; value: (number | null)[] }
export interface RDouble extends Base { type: 'double'; value: Float64Array }
export interface RString extends Base { type: 'string'; value: (string | null)[] }
/** Complex numbers: `re[i] + im[i]i`; NA follows the real part. */
export interface RComplex extends Base { type: 'complex'; re: Float64Array; im: Float64Array }
export interface RRaw extends Base { type: 'raw'; value: Buffer }
/** A generic vector (R `list`). Element names live in `attributes.names`. */
export interface RList extends Base { type: 'list'; value: RValue[] }
/** A pairlist / language object: elements with optional tags. */
export interface RPairList extends Base { type: 'pairlist'; value: { tag: string | null; value: RValue }[] }
export interface RSymbol extends Base { type: 'symbol'; name: string }
/** Anything with no value representation (closure, environment, S4, external pointer ...). */
export interface ROpaque extends Base { type: 'opaque'; rtype: string }

export type RValue =
  | RNull
  | RLogical
  | RInteger
  | RDouble
  | RString
  | RComplex
  | RRaw
  | RList
  | RPairList
  | RSymbol
  | ROpaque;

export type RVectorType = RValue['type'];

/** R's NA_real_ is a NaN with low word 1954 (0x7A2). */
export const NA_REAL_LOW_WORD = 1954;

const scratch = new DataView(new ArrayBuffer(8));

/** True when the i-th double is R's NA (not merely NaN). */
export function isNaReal(values: Float64Array, i: number): boolean {
  const v = values[i];
  if (!Number.isNaN(v)) return false;
  // Read the bits straight from the array's own buffer: copying the value through a JS number
  // may canonicalise the NaN payload.
  const view = new DataView(values.buffer, values.byteOffset + i * 8, 8);
  return view.getUint32(0, true) === NA_REAL_LOW_WORD;
}

/** Writes R's NA_real_ into position i. */
export function setNaReal(values: Float64Array, i: number): void {
  const view = new DataView(values.buffer, values.byteOffset + i * 8, 8);
  view.setUint32(0, NA_REAL_LOW_WORD, true);
  view.setUint32(4, 0x7ff00000, true);
}

/** A Float64Array from plain numbers where `null` means NA. */
export function doublesFrom(values: readonly (number | null)[]): Float64Array {
  const out = new Float64Array(values.length);
  values.forEach((v, i) => {
    if (v === null) setNaReal(out, i);
    else out[i] = v;
  });
  return out;
}

/** Reads an attribute as a string vector, or undefined. */
export function stringAttr(value: RValue, name: string): (string | null)[] | undefined {
  const attr = value.attributes?.[name];
  return attr && attr.type === 'string' ? attr.value : undefined;
}

/** The `class` attribute, or an empty list. */
export function classOf(value: RValue): string[] {
  return (stringAttr(value, 'class') ?? []).filter((c): c is string => c !== null);
}

// Keep `scratch` referenced for engines that want a reusable view without allocating.
export function bitsOf(v: number): [number, number] {
  scratch.setFloat64(0, v, true);
  return [scratch.getUint32(0, true), scratch.getUint32(4, true)];
}
