/**
 * The DeployR encoding of R objects ("DeployR-encoded objects") as it appears in response
 * markup (`workspace.objects`, `/r/project/workspace/get`, execution `robjects`) and, without
 * `rclass`, in the `inputs` parameter. See reference/deployr-8.x-api-overview.md, "Encode R
 * Object Data for use on the API".
 *
 * Property order in every object is the order of the reference examples: name, type, rclass,
 * value, then the type-specific extras.
 */

/** The Java date patterns DeployR writes in `format`. */
export const DATE_FORMAT = 'yyyy-MM-dd';
export const DATETIME_FORMAT = 'yyyy-MM-dd HH:mm:ss Z';
export type DateFormat = typeof DATE_FORMAT | typeof DATETIME_FORMAT;

/** Default markup for +Inf when the call gives no `infinity` (Java's bit pattern for it). */
export const DEFAULT_POSITIVE_INFINITY = '0x7ff0000000000000L';
/** Default markup for -Inf when the call gives no `infinity` (Java's bit pattern for it). */
export const DEFAULT_NEGATIVE_INFINITY = '0xfff0000000000000L';

/**
 * One element of an encoded atomic value: a string, number or boolean; `null` for NA (and NaN
 * unless the call gives `nan`); a string (or number, see `MarkupOptions`) for Inf/NaN.
 */
export type MarkupScalar = string | number | boolean | null;

export type EncodingType = 'primitive' | 'date' | 'vector' | 'matrix' | 'factor' | 'list' | 'dataframe';

/** The `type` given to objects with no DeployR encoding (functions, environments, S4, ...). */
export const UNSUPPORTED_TYPE = 'unsupported';

/** character, integer, numeric or logical of length 1 (rclass is class(x)[1]). */
export interface EncodedPrimitive {
  name: string;
  type: 'primitive';
  rclass: string;
  value: MarkupScalar;
}

/** Date, POSIXct or POSIXlt of length 1; `value` is null for NA. */
export interface EncodedDate {
  name: string;
  type: 'date';
  rclass: string;
  value: string | null;
  format: DateFormat;
}

/** An atomic vector of length != 1 (`format` only for Date / POSIXct / POSIXlt vectors). */
export interface EncodedVector {
  name: string;
  type: 'vector';
  rclass: string;
  value: MarkupScalar[];
  format?: DateFormat;
}

/** A matrix as an array of rows. */
export interface EncodedMatrix {
  name: string;
  type: 'matrix';
  rclass: string;
  value: MarkupScalar[][];
}

/**
 * A factor or ordered factor: `value` holds the label of each element (null for NA), `labels`
 * the levels in order; `levels` repeats them (the Java client reads `levels`).
 */
export interface EncodedFactor {
  name: string;
  type: 'factor';
  rclass: string;
  value: (string | null)[];
  labels: string[];
  levels: string[];
  ordered: boolean;
}

/** A list: every element encoded, unnamed elements named "1", "2", ... (their position). */
export interface EncodedList {
  name: string;
  type: 'list';
  rclass: string;
  value: EncodedRObject[];
}

/** A data.frame: every column encoded, named by its column name. */
export interface EncodedDataFrame {
  name: string;
  type: 'dataframe';
  rclass: string;
  value: EncodedRObject[];
}

/** An object with no DeployR encoding: only what it is, no value. */
export interface EncodedUnsupported {
  name: string;
  type: typeof UNSUPPORTED_TYPE;
  rclass: string;
}

export type EncodedRObject =
  | EncodedPrimitive
  | EncodedDate
  | EncodedVector
  | EncodedMatrix
  | EncodedFactor
  | EncodedList
  | EncodedDataFrame
  | EncodedUnsupported;

/**
 * One object of `/r/project/workspace/list`: no value. `branch` is true for objects with
 * children (list, data.frame); `xdf` is always null (RevoScaleR data sources do not exist here).
 */
export interface WorkspaceObjectSummary {
  branch: boolean;
  rclass: string;
  name: string;
  type: EncodingType | typeof UNSUPPORTED_TYPE;
  xdf: null;
}

/** The call parameters that shape encoded output. */
export interface MarkupOptions {
  /**
   * The `nan` call parameter: markup for NaN (default `null`). A value that is a JSON number
   * ("0", "-1.5") is written as that number, anything else as a string.
   */
  nan?: string | null;
  /**
   * The `infinity` call parameter: markup for +Inf (default "0x7ff0000000000000L"); -Inf is
   * the same value negated ("-" prefixed, or the negated number), default
   * "0xfff0000000000000L". A value that is a JSON number is written as that number.
   */
  infinity?: string | null;
  /**
   * The `encodeDataFramePrimitiveAsVector` call parameter: columns of length 1 in a data.frame
   * are encoded as vectors (one element) instead of primitives / dates.
   */
  encodeDataFramePrimitiveAsVector?: boolean;
}
