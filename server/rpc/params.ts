/**
 * Call parameters as data: each call declares a schema once; values arrive as strings from the
 * query string, a urlencoded body or multipart fields, and are converted here.
 */
import { badRequest } from './errors';

export interface UploadedFile {
  /** Where multer streamed the part on disk; removed after the call. */
  path: string;
  /** The part's own filename (DeployR takes the stored name from the `filename` field instead). */
  originalName: string;
  size: number;
  mimeType: string;
}

export type ParamType = 'string' | 'boolean' | 'integer' | 'number' | 'json' | 'list' | 'file';

export interface ParamSpec {
  type: ParamType;
  required?: boolean;
  /** Other names the same parameter arrives under (e.g. `robject` for `robjects`). */
  aliases?: readonly string[];
}

export type ParamSchema = Record<string, ParamSpec>;

type ValueOf<T extends ParamType> = T extends 'string'
  ? string
  : T extends 'boolean'
    ? boolean
    : T extends 'integer' | 'number'
      ? number
      : T extends 'json'
        ? unknown
        : T extends 'list'
          ? string[]
          : T extends 'file'
            ? UploadedFile
            : never;

/** The handler's view of its parameters, inferred from the schema. */
export type ParamValues<S extends ParamSchema> = {
  [K in keyof S]: S[K]['required'] extends true ? ValueOf<S[K]['type']> : ValueOf<S[K]['type']> | undefined;
};

const TRUE = new Set(['true', 'True', 'TRUE', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', '0']);

export function parseBoolean(name: string, raw: string): boolean {
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw badRequest(`Bad Request: parameter '${name}' must be true or false`);
}

function convert(name: string, spec: ParamSpec, raw: string): unknown {
  // No parameter of the API can mean anything with NUL in it, and neither R strings nor
  // PostgreSQL text can hold one: refuse it here, once, for every call.
  if (raw.includes('\u0000')) throw badRequest(`Bad Request: parameter '${name}' contains a NUL character`);
  switch (spec.type) {
    case 'string':
      return raw;
    case 'boolean':
      return parseBoolean(name, raw);
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim())) throw badRequest(`Bad Request: parameter '${name}' must be an integer`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw badRequest(`Bad Request: parameter '${name}' is out of range`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw badRequest(`Bad Request: parameter '${name}' must be a number`);
      return n;
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw badRequest(`Bad Request: parameter '${name}' is not valid JSON`);
      }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'file':
      throw badRequest(`Bad Request: parameter '${name}' must be a file upload`);
  }
}

/** Raw inputs of one request, already merged (body over query). */
export interface RawParams {
  fields: Record<string, string | undefined>;
  files: Record<string, UploadedFile | undefined>;
}

/**
 * Converts raw request fields to typed values. An empty string counts as absent, as in DeployR,
 * so `filename=` does not satisfy a required parameter.
 */
export function parseParams<S extends ParamSchema>(schema: S, raw: RawParams): ParamValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.type === 'file') {
      const file = raw.files[name];
      if (!file && spec.required) throw badRequest(`Bad Request: required parameter '${name}' is missing`);
      out[name] = file;
      continue;
    }
    const names = [name, ...(spec.aliases ?? [])];
    const found = names.map((n) => raw.fields[n]).find((v) => v !== undefined && v !== '');
    if (found === undefined) {
      if (spec.required) throw badRequest(`Bad Request: required parameter '${name}' is missing`);
      out[name] = undefined;
      continue;
    }
    out[name] = convert(name, spec, found);
  }
  return out as ParamValues<S>;
}

/** Flattens a parsed query/body object: repeated fields keep the first value, as a servlet's getParameter does. */
export function flattenFields(...sources: unknown[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      const value = Array.isArray(v) ? v[0] : v;
      if (typeof value === 'string') out[k] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') out[k] = String(value);
    }
  }
  return out;
}
