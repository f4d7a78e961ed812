/**
 * The external repository (DeployR 7.4+): a read-only directory tree on disk.
 *
 *   <base>/<username>/...          private files of <username>   external:root[:sub/dir]
 *   <base>/shared/<username>/...   shared by <username>           external:shared:<username>[:sub/dir]
 *   <base>/public/<username>/...   published by <username>        external:public:<username>[:sub/dir]
 *
 * Files are listed, fetched and downloaded, never modified. Directory names use the API's
 * `external:` form; nested folders below the first level are joined with `/`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { accessOf } from './access';
import type { RepoEntry } from './entry';
import { categoryOf, contentTypeOf, EXTERNAL_PREFIX, printable } from './names';
import { DeployRError } from '../../rpc/errors';

export type ExternalArea = 'private' | 'shared' | 'public';

export interface ExternalDirectory {
  area: ExternalArea;
  owner: string;
  /** Folders below the owner's area, '' for its top. */
  sub: string;
}

const AREA_FOLDERS: Record<Exclude<ExternalArea, 'private'>, string> = { shared: 'shared', public: 'public' };
const MAX_DEPTH = 16;
const MAX_FILES = 10_000;
// eslint-disable-next-line no-control-regex
const SEGMENT = /^(?!\.{1,2}$)[^/\\\u0000-\u001f:]{1,255}$/;

function notFound(directory: string): DeployRError {
  return new DeployRError(900, `External repository directory '${printable(directory)}' not found`);
}

/** `external:root[:a/b]`, `external:shared:<user>[:a/b]`, `external:public:<user>[:a/b]`; the caller names their own root. */
export function parseExternalDirectory(directory: string, caller: string | undefined): ExternalDirectory {
  const parts = directory.slice(EXTERNAL_PREFIX.length).split(':');
  const kind = parts[0];
  let dir: ExternalDirectory;
  if (kind === 'root' && parts.length <= 2) {
    if (!caller) throw notFound(directory);
    dir = { area: 'private', owner: caller, sub: parts[1] ?? '' };
  } else if ((kind === 'shared' || kind === 'public') && parts.length >= 2 && parts.length <= 3 && parts[1]) {
    dir = { area: kind, owner: parts[1], sub: parts[2] ?? '' };
  } else {
    throw new DeployRError(400, `Bad Request: invalid external directory '${printable(directory)}' (use external:root:<dir> or external:public:<user>:<dir>)`);
  }
  const segments = [dir.owner, ...(dir.sub ? dir.sub.split('/') : [])];
  if (!segments.every((s) => SEGMENT.test(s))) throw new DeployRError(400, `Bad Request: invalid external directory '${printable(directory)}'`);
  return dir;
}

export function formatExternalDirectory(dir: ExternalDirectory): string {
  const head = dir.area === 'private' ? `${EXTERNAL_PREFIX}root` : `${EXTERNAL_PREFIX}${dir.area}:${dir.owner}`;
  return dir.sub ? `${head}:${dir.sub}` : head;
}

interface HashCacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class ExternalRepository {
  private readonly hashes = new Map<string, HashCacheEntry>();

  constructor(readonly baseDir: string) {}

  private areaRoot(area: ExternalArea, owner: string): string {
    return area === 'private' ? path.join(this.baseDir, owner) : path.join(this.baseDir, AREA_FOLDERS[area], owner);
  }

  /** The folder on disk, provided it exists and (symbolic links resolved) stays inside the base. */
  private async folderOf(dir: ExternalDirectory): Promise<string | undefined> {
    const folder = path.join(this.areaRoot(dir.area, dir.owner), ...(dir.sub ? dir.sub.split('/') : []));
    return (await this.insideBase(folder)) ? folder : undefined;
  }

  private async insideBase(p: string): Promise<boolean> {
    try {
      const [real, base] = await Promise.all([fs.promises.realpath(p), fs.promises.realpath(this.baseDir)]);
      return real === base || real.startsWith(base + path.sep);
    } catch {
      return false;
    }
  }

  /** Users with a folder in an area (their private folders, or under shared/ or public/). */
  private async owners(area: ExternalArea): Promise<string[]> {
    const folder = area === 'private' ? this.baseDir : path.join(this.baseDir, AREA_FOLDERS[area]);
    const entries = await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && SEGMENT.test(e.name) && !(area === 'private' && (e.name === 'shared' || e.name === 'public')))
      .map((e) => e.name)
      .sort();
  }

  /** Every directory of one owner's area: its top and the folders below, depth first. */
  async directories(area: ExternalArea, owner: string): Promise<ExternalDirectory[]> {
    const top: ExternalDirectory = { area, owner, sub: '' };
    const root = await this.folderOf(top);
    if (!root) return [];
    const out: ExternalDirectory[] = [top];
    const walk = async (folder: string, sub: string, depth: number): Promise<void> => {
      if (depth >= MAX_DEPTH) return;
      const entries = await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (!e.isDirectory() || e.name.startsWith('.') || !SEGMENT.test(e.name)) continue;
        const child = sub ? `${sub}/${e.name}` : e.name;
        out.push({ area, owner, sub: child });
        await walk(path.join(folder, e.name), child, depth + 1);
      }
    };
    await walk(root, '', 0);
    return out;
  }

  /** The files directly in one directory. */
  async files(dir: ExternalDirectory): Promise<RepoEntry[]> {
    const folder = await this.folderOf(dir);
    if (!folder) return [];
    const entries = await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => []);
    const out: RepoEntry[] = [];
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || !SEGMENT.test(e.name) || out.length >= MAX_FILES) continue;
      const entry = await this.entryAt(dir, path.join(folder, e.name), e.name);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** All files of the areas asked for, directory by directory. */
  async filesOf(areas: { area: ExternalArea; owners: 'all' | string[] }[]): Promise<{ directory: ExternalDirectory; files: RepoEntry[] }[]> {
    const out: { directory: ExternalDirectory; files: RepoEntry[] }[] = [];
    for (const { area, owners } of areas) {
      const names = owners === 'all' ? await this.owners(area) : owners;
      for (const owner of names) {
        for (const directory of await this.directories(area, owner)) out.push({ directory, files: await this.files(directory) });
      }
    }
    return out;
  }

  async directoryExists(dir: ExternalDirectory): Promise<boolean> {
    const folder = await this.folderOf(dir);
    if (!folder) return false;
    return (await fs.promises.stat(folder).catch(() => undefined))?.isDirectory() ?? false;
  }

  /** One file by directory and name, or undefined. */
  async find(dir: ExternalDirectory, filename: string): Promise<RepoEntry | undefined> {
    if (!SEGMENT.test(filename) || filename.startsWith('.')) return undefined;
    const folder = await this.folderOf(dir);
    if (!folder) return undefined;
    return this.entryAt(dir, path.join(folder, filename), filename);
  }

  private async entryAt(dir: ExternalDirectory, file: string, filename: string): Promise<RepoEntry | undefined> {
    const st = await fs.promises.stat(file).catch(() => undefined);
    if (!st?.isFile() || !(await this.insideBase(file))) return undefined;
    const controls = { restricted: null, shared: dir.area !== 'private', published: dir.area === 'public' };
    return {
      filename,
      directory: formatExternalDirectory(dir),
      author: dir.owner,
      authors: [dir.owner],
      version: null,
      versionmsg: null,
      latestby: dir.owner,
      type: contentTypeOf(filename),
      category: categoryOf(filename),
      descr: null,
      tags: null,
      inputs: null,
      outputs: null,
      length: st.size,
      sha256: await this.sha256(file, st),
      lastModified: Math.floor(st.mtimeMs),
      ...controls,
      access: accessOf(controls),
      source: { kind: 'external', path: file },
    };
  }

  /** Hashes are cached by path, size and modification time. */
  private async sha256(file: string, st: fs.Stats): Promise<string> {
    const cached = this.hashes.get(file);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.sha256;
    const hash = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    this.hashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
    return sha256;
  }
}
