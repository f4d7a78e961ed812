/**
 * Hand-built R objects, shaped like what the Rserve client decodes: attributes exactly as R
 * keeps them (a factor is an integer vector with levels + class, a data.frame a list with
 * names, class and compact row.names, a Date a double with class "Date", ...).
 */
import { doublesFrom, type RAttributes, type RValue } from '../../../server/engine/rserve/sexp';

export const NA = null;

export function chr(...v: (string | null)[]): RValue {
  return { type: 'string', value: v };
}
export function int(...v: (number | null)[]): RValue {
  return { type: 'integer', value: v };
}
export function dbl(...v: (number | null)[]): RValue {
  return { type: 'double', value: doublesFrom(v) };
}
export function lgl(...v: (boolean | null)[]): RValue {
  return { type: 'logical', value: v };
}

export function withAttrs<T extends RValue>(v: T, attributes: RAttributes): T {
  return { ...v, attributes: { ...(v.attributes ?? {}), ...attributes } };
}

export function cls(...c: string[]): RAttributes {
  return { class: chr(...c) };
}

/** factor(x, levels) as R stores it. */
export function factor(codes: (number | null)[], levels: string[], ordered = false): RValue {
  return withAttrs(int(...codes), {
    levels: chr(...levels),
    class: ordered ? chr('ordered', 'factor') : chr('factor'),
  });
}

/** as.Date(...) as R stores it: days since 1970-01-01. */
export function rdate(...days: (number | null)[]): RValue {
  return withAttrs(dbl(...days), cls('Date'));
}

/** as.POSIXct(...) as R stores it: seconds since the epoch, tzone attribute. */
export function posixct(tzone: string | null, ...seconds: (number | null)[]): RValue {
  const attrs: RAttributes = cls('POSIXct', 'POSIXt');
  if (tzone !== null) attrs.tzone = chr(tzone);
  return withAttrs(dbl(...seconds), attrs);
}

export function matrix(v: RValue, nrow: number, ncol: number): RValue {
  return withAttrs(v, { dim: int(nrow, ncol) });
}

export function list(elements: RValue[], names?: (string | null)[]): RValue {
  const v: RValue = { type: 'list', value: elements };
  return names ? withAttrs(v, { names: chr(...names) }) : v;
}

/** data.frame(...) as R stores it. */
export function dataFrame(columns: Record<string, RValue>): RValue {
  const names = Object.keys(columns);
  const first = columns[names[0]];
  const nrow = first && 'value' in first && (Array.isArray(first.value) || first.value instanceof Float64Array) ? first.value.length : 0;
  return withAttrs(list(Object.values(columns)), {
    names: chr(...names),
    class: chr('data.frame'),
    'row.names': int(NA, -nrow),
  });
}
