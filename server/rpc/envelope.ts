/**
 * The DeployR response envelope, in JSON or element-only XML.
 *
 * JSON: {"deployr":{"response":{"call", "success", ...payload, "uid"}}}.
 * XML: the same tree under <deployr><response>; keys become elements, null an empty element,
 * arrays repeated children named after the singular of their key (<values><value>), a row of a
 * matrix (an array inside an array) one comma-separated text element.
 */
import crypto from 'node:crypto';
import { Builder } from 'xml2js';
import { formatDouble, hasDoubleValues, stringifyMarkup } from '../engine/encoding/json';

export type Format = 'json' | 'xml';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
export type ResponsePayload = { [key: string]: JsonValue | undefined };

export interface EnvelopeFields {
  call: string;
  success: boolean;
  payload?: ResponsePayload;
  error?: string;
  errorCode?: number;
  /** The CSRF token, added to login/about responses as DeployR 8.0.5 does. */
  csrfToken?: string;
}

export function newUid(): string {
  return 'UID-' + crypto.randomBytes(16).toString('hex').toUpperCase();
}

export function buildResponse(fields: EnvelopeFields): { [key: string]: JsonValue | undefined } {
  const response: { [key: string]: JsonValue | undefined } = { call: fields.call, success: fields.success };
  if (fields.payload) Object.assign(response, fields.payload);
  if (!fields.success) {
    response.error = fields.error ?? null;
    response.errorCode = fields.errorCode ?? 900;
  }
  response.uid = newUid();
  if (fields.csrfToken) response['X-XSRF-TOKEN'] = fields.csrfToken;
  return response;
}

/** R doubles inside encoded objects are written as doubles (`5.0`): the Java client casts them. */
export function renderJson(response: { [key: string]: JsonValue | undefined }): string {
  return stringifyMarkup({ deployr: { response } });
}

const IRREGULAR_SINGULARS: Record<string, string> = {
  directories: 'directory',
  categories: 'category',
  dimnames: 'dimname',
  warnings: 'warning',
  children: 'child',
  properties: 'property',
  // directory/list groups its directories by kind: each is a list of <directory>.
  user: 'directory',
  system: 'directory',
  custom: 'directory',
  archived: 'directory',
  info: 'info',
};

/** The element name for one member of an array-valued key. */
export function singular(key: string): string {
  if (IRREGULAR_SINGULARS[key]) return IRREGULAR_SINGULARS[key];
  if (key.endsWith('ies')) return key.slice(0, -3) + 'y';
  if (key.endsWith('ses') || key.endsWith('xes')) return key.slice(0, -2);
  if (key.endsWith('s') && key.length > 1) return key.slice(0, -1);
  return 'item';
}

type XmlNode = string | { [key: string]: XmlNode | XmlNode[] };

function scalar(x: JsonValue | undefined, doubles: boolean): string {
  if (x === null || x === undefined) return '';
  if (typeof x === 'number') return doubles ? formatDouble(x) : String(x);
  return String(x);
}

/** `doubles`: numbers here are R doubles of an encoded object's value (written `5.0`, as in JSON). */
function toXmlNode(value: JsonValue | undefined, key: string, doubles = false): XmlNode {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    const child = singular(key);
    return { [child]: value.map((v) => (Array.isArray(v) ? v.map((x) => scalar(x, doubles)).join(', ') : toXmlNode(v, child, doubles))) };
  }
  if (typeof value === 'object') {
    const own = hasDoubleValues(value);
    const out: { [key: string]: XmlNode | XmlNode[] } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      // The XML markup names an array-valued `value` <values>, one <value> per element.
      const name = k === 'value' && Array.isArray(v) ? 'values' : k;
      out[name] = toXmlNode(v, name, own && k === 'value');
    }
    return out;
  }
  return scalar(value, doubles);
}

const builder = new Builder({ rootName: 'deployr', headless: false, renderOpts: { pretty: false } });

export function renderXml(response: { [key: string]: JsonValue | undefined }): string {
  return builder.buildObject({ response: toXmlNode(response, 'response') });
}

export function render(format: Format, response: { [key: string]: JsonValue | undefined }): { body: string; contentType: string } {
  return format === 'xml'
    ? { body: renderXml(response), contentType: 'application/xml; charset=utf-8' }
    : { body: renderJson(response), contentType: 'application/json; charset=utf-8' };
}
