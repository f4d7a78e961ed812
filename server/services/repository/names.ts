/**
 * Names in the repository: what a filename or directory may be, what a file is (category and
 * content type, from its extension), and which file types only administrators may store.
 */
import { DeployRError } from '../../rpc/errors';

export const ROOT = 'root';
export const ARCHIVE_SUFFIX = '.archive';
export const EXTERNAL_PREFIX = 'external:';
/** Virtual directories of directory/list; no user directory may take these names. */
export const SYSTEM_DIRECTORIES = ['Restricted', 'Shared', 'Public'] as const;
export const MAX_NAME_LENGTH = 255;

/** DeployR's `deployr.file.type.black.list`: refused on upload, transfer and write except for administrators. */
export const BLOCKED_EXTENSIONS: readonly string[] = ['exe', 'sh', 'bat', 'bash', 'csh', 'tcsh'];

export type Category = 'R' | 'script' | 'data' | 'plot' | 'shell' | 'pdf' | 'text' | 'other';
export const CATEGORIES: readonly Category[] = ['R', 'script', 'data', 'plot', 'shell', 'pdf', 'text', 'other'];

const CATEGORY_BY_EXTENSION: Record<string, Category> = {
  rdata: 'R',
  rda: 'R',
  rds: 'R',
  r: 'script',
  csv: 'data',
  tsv: 'data',
  xls: 'data',
  xlsx: 'data',
  json: 'data',
  xml: 'data',
  dat: 'data',
  sav: 'data',
  xdf: 'data',
  dta: 'data',
  sas7bdat: 'data',
  png: 'plot',
  jpg: 'plot',
  jpeg: 'plot',
  gif: 'plot',
  svg: 'plot',
  bmp: 'plot',
  tif: 'plot',
  tiff: 'plot',
  sh: 'shell',
  bash: 'shell',
  csh: 'shell',
  tcsh: 'shell',
  ksh: 'shell',
  zsh: 'shell',
  bat: 'shell',
  cmd: 'shell',
  pdf: 'pdf',
  txt: 'text',
  text: 'text',
  log: 'text',
  md: 'text',
  rmd: 'text',
  html: 'text',
  htm: 'text',
  tex: 'text',
  yaml: 'text',
  yml: 'text',
  sql: 'text',
};

const BINARY_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  pdf: 'application/pdf',
  zip: 'application/zip',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Lower-case extension without the dot ('' when there is none). */
export function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

export function categoryOf(filename: string): Category {
  return CATEGORY_BY_EXTENSION[extensionOf(filename)] ?? 'other';
}

/**
 * The `type` property. Scripts, data and text files are `text/plain` as in DeployR's examples
 * (also HTML: served from the API's origin it must never render); images and PDFs keep theirs.
 */
export function contentTypeOf(filename: string): string {
  const ext = extensionOf(filename);
  const binary = BINARY_TYPES[ext];
  if (binary) return binary;
  const category = CATEGORY_BY_EXTENSION[ext];
  if (category === 'script' || category === 'text' || category === 'shell' || category === 'data') return 'text/plain';
  return 'application/octet-stream';
}

export function isScript(filename: string): boolean {
  return categoryOf(filename) === 'script';
}

export function isBlockedType(filename: string): boolean {
  return BLOCKED_EXTENSIONS.includes(extensionOf(filename));
}

export function isArchived(directory: string): boolean {
  return directory.endsWith(ARCHIVE_SUFFIX);
}

export function isExternal(directory: string): boolean {
  return directory.startsWith(EXTERNAL_PREFIX);
}

/** Accepts `categoryFilter` values; the Java client sends `file` for other. */
export function parseCategory(raw: string | undefined): Category | undefined {
  if (raw === undefined) return undefined;
  if (raw.toLowerCase() === 'file') return 'other';
  const match = CATEGORIES.find((c) => c.toLowerCase() === raw.toLowerCase());
  if (!match) throw new DeployRError(400, `Bad Request: unknown categoryFilter '${raw}' (one of ${CATEGORIES.join(', ')})`);
  return match;
}

// Control characters (NUL included), path separators, and the list separator of DeployR's
// comma-separated parameters (a name with a comma could never be named in a list).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f/\\,]/;

function checkName(kind: string, name: string): string {
  if (name.length === 0) throw new DeployRError(400, `Bad Request: ${kind} must not be empty`);
  if (name.length > MAX_NAME_LENGTH || Buffer.byteLength(name, 'utf8') > MAX_NAME_LENGTH) {
    throw new DeployRError(400, `Bad Request: ${kind} is longer than ${MAX_NAME_LENGTH} bytes`);
  }
  if (FORBIDDEN.test(name)) throw new DeployRError(400, `Bad Request: ${kind} '${printable(name)}' contains a path separator, comma or control character`);
  if (name === '.' || name === '..' || name.trim() !== name) throw new DeployRError(400, `Bad Request: invalid ${kind} '${printable(name)}'`);
  return name;
}

/** A repository filename: one path segment, no separators, no control characters. */
export function checkFilename(name: string): string {
  return checkName('filename', name);
}

/**
 * A user directory name (root, custom or archived). `external:` names belong to the external
 * repository and the system directory names are virtual.
 */
export function checkDirectoryName(name: string): string {
  checkName('directory name', name);
  if (name.includes(':')) throw new DeployRError(400, `Bad Request: directory name '${printable(name)}' must not contain ':'`);
  if (SYSTEM_DIRECTORIES.some((s) => s.toLowerCase() === name.toLowerCase())) {
    throw new DeployRError(400, `Bad Request: '${name}' is a system directory`);
  }
  return name;
}

/** For messages: control characters shown as escapes, long names shortened. */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  const shown = name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
