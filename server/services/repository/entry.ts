/**
 * A repository file as the API describes it (one version of one file, default or external
 * repository), with the handle to read its content. `present()` turns it into the reference's
 * property names and order.
 */
import type { FileRow, VersionRow } from '../../../models/repository-files';
import type { JsonValue } from '../../rpc/envelope';
import { accessOf, type AccessControls, type AccessLevel } from './access';
import { categoryOf, type Category } from './names';

export type ContentSource = { kind: 'blob'; fileId: string; blobId: string } | { kind: 'external'; path: string };

export interface RepoEntry extends AccessControls {
  filename: string;
  directory: string;
  /** The author this caller knows the file by (themselves when they are one). */
  author: string;
  authors: string[];
  /** null for the working copy (the latest version). */
  version: string | null;
  versionmsg: string | null;
  latestby: string;
  type: string;
  category: Category;
  descr: string | null;
  tags: string | null;
  inputs: string | null;
  outputs: string | null;
  length: number;
  sha256: string;
  lastModified: number;
  access: AccessLevel;
  source: ContentSource;
}

/** The author a caller should name the file by: themselves, else the creator, else the first. */
function authorFor(row: FileRow, viewerName: string | undefined): string {
  if (viewerName && row.authors.includes(viewerName)) return viewerName;
  if (row.authors.includes(row.owner_name)) return row.owner_name;
  return row.authors[0] ?? row.owner_name;
}

export function entryOf(row: FileRow, viewerName: string | undefined): RepoEntry {
  return {
    filename: row.filename,
    directory: row.directory,
    author: authorFor(row, viewerName),
    authors: [...row.authors],
    version: null,
    versionmsg: row.versionmsg,
    latestby: row.latest_by_name,
    type: row.content_type,
    category: categoryOf(row.filename),
    descr: row.descr,
    tags: row.tags,
    inputs: row.inputs,
    outputs: row.outputs,
    length: Number(row.length),
    sha256: row.sha256,
    lastModified: row.modified_at.getTime(),
    restricted: row.restricted,
    shared: row.shared,
    published: row.published,
    access: accessOf(row),
    source: { kind: 'blob', fileId: String(row.id), blobId: String(row.blob_id) },
  };
}

/** An earlier version: its own content and message, the file's identity and access controls. */
export function versionEntryOf(row: FileRow, version: VersionRow, viewerName: string | undefined): RepoEntry {
  return {
    ...entryOf(row, viewerName),
    version: version.version,
    versionmsg: version.versionmsg,
    latestby: version.latest_by_name,
    type: version.content_type,
    descr: version.descr,
    tags: version.tags,
    inputs: version.inputs,
    outputs: version.outputs,
    length: Number(version.length),
    sha256: version.sha256,
    lastModified: version.modified_at.getTime(),
    source: { kind: 'blob', fileId: String(row.id), blobId: String(version.blob_id) },
  };
}

/** The download URL: works with the session cookie, or with `;jsessionid=` appended (Java). */
export function downloadUrl(baseUrl: string, e: Pick<RepoEntry, 'filename' | 'directory' | 'author' | 'version'>): string {
  const q = new URLSearchParams({ filename: e.filename, directory: e.directory, author: e.author });
  if (e.version) q.set('version', e.version);
  // URLSearchParams writes spaces as '+'; %20 reads the same everywhere, also in a path segment.
  return `${baseUrl}/r/repository/file/download?${q.toString().replace(/\+/g, '%20')}`;
}

/** The reference's property names, in its order; `inputs`/`outputs` on scripts only. */
export function present(e: RepoEntry, baseUrl: string): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {
    filename: e.filename,
    directory: e.directory,
    descr: e.descr,
    author: e.author,
    authors: [...e.authors],
    version: e.version,
    versionmsg: e.versionmsg,
    latestby: e.latestby,
    type: e.type,
    category: e.category,
    tags: e.tags,
    length: e.length,
    sha256: e.sha256,
    lastModified: e.lastModified,
    restricted: e.restricted,
    shared: e.shared,
    published: e.published,
    access: e.access,
    url: downloadUrl(baseUrl, e),
  };
  if (e.category === 'script') {
    out.inputs = e.inputs;
    out.outputs = e.outputs;
  }
  return out;
}
