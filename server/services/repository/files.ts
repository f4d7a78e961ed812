/**
 * Repository files: storing (upload, write, transfer, copies), reading under the access model,
 * version history (new versions, diff, revert), authorship (grant, revoke, delete), and moves.
 *
 * Every change runs in one transaction under a per-user advisory lock (a user's
 * directory/filename pairs are unique across two tables); blobs it released are collected after
 * the commit.
 */
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import fs from 'node:fs';
import type { Knex } from 'knex';
import { createTwoFilesPatch } from 'diff';
import * as model from '../../../models/repository-files';
import type { FileChanges, FileRow } from '../../../models/repository-files';
import type { Db } from '../../db/knex';
import { DeployRError } from '../../rpc/errors';
import { hasRole, type AuthenticatedUser } from '../users';
import { accessOf, canSee, controlsFrom, hasAccessInput, type AccessInput } from './access';
import { BlobStore, type ContentChunks, type StoredBlob } from './blobs';
import { entryOf, versionEntryOf, type RepoEntry } from './entry';
import { ExternalRepository, formatExternalDirectory, parseExternalDirectory, type ExternalArea } from './external';
import { BLOCKED_EXTENSIONS, categoryOf, checkDirectoryName, checkFilename, contentTypeOf, extensionOf, isBlockedType, isExternal, printable, ROOT, type Category } from './names';
import { openUrl, type TransferLimits } from './transfer';

export interface RepositoryLimits {
  maxFileUploadSize: number;
  transfer: Omit<TransferLimits, 'maxBytes'>;
  /** Largest file `diff` reads. */
  maxDiffBytes: number;
}

/** How a call names a file: author defaults to the caller, directory to root. */
export interface FileRef {
  filename: string;
  directory?: string;
  author?: string;
  version?: string;
}

/** Properties a write may set; absent ones keep their value (or their default on a new file). */
export interface FileProperties extends AccessInput {
  descr?: string;
  tags?: string;
  inputs?: string;
  outputs?: string;
}

export interface StoreInput extends FileProperties {
  filename: string;
  directory?: string;
  newversion?: boolean;
  newversionmsg?: string;
}

export interface ListOptions {
  directory?: string;
  archived?: boolean;
  shared?: boolean;
  published?: boolean;
  category?: Category;
  external?: boolean;
}

/** One transaction's state: blobs it stopped referencing, to collect after the commit. */
export interface Change {
  trx: Knex.Transaction;
  released: string[];
}

export function notFound(ref: FileRef): DeployRError {
  const where = `directory '${printable(ref.directory ?? ROOT)}'${ref.author ? ` of author '${printable(ref.author)}'` : ''}`;
  return new DeployRError(900, `Repository file '${printable(ref.filename)}'${ref.version ? ` version '${printable(ref.version)}'` : ''} not found in ${where}`);
}

export function directoryNotFound(directory: string): DeployRError {
  return new DeployRError(900, `Repository directory '${printable(directory)}' not found`);
}

function readOnlyExternal(): DeployRError {
  return new DeployRError(900, 'The external repository is read-only');
}

const newVersionId = (): string => crypto.randomUUID();

export class RepositoryFiles {
  constructor(
    private readonly db: Db,
    readonly blobs: BlobStore,
    readonly external: ExternalRepository,
    readonly limits: RepositoryLimits,
  ) {}

  // ---------------------------------------------------------------- transactions and names

  /** Runs `fn` in a transaction, then collects the blobs it released. */
  async change<T>(fn: (c: Change) => Promise<T>): Promise<T> {
    const released: string[] = [];
    const result = await this.db.transaction((trx) => fn({ trx, released }));
    await this.blobs.collect(released);
    return result;
  }

  /** A user directory name for a change: valid, not external. */
  userDirectory(directory: string | undefined): string {
    const dir = directory ?? ROOT;
    if (isExternal(dir)) throw readOnlyExternal();
    return checkDirectoryName(dir);
  }

  async directoryExists(user: AuthenticatedUser, directory: string, runner: Db | Knex.Transaction = this.db): Promise<boolean> {
    if (directory === ROOT) return true;
    return (await model.directoryRecordExists(runner, user.id, directory)) || (await model.hasAuthoredFilesIn(runner, user.id, directory));
  }

  async requireDirectory(user: AuthenticatedUser, directory: string): Promise<void> {
    if (!(await this.directoryExists(user, directory))) throw directoryNotFound(directory);
  }

  /** Administrators may store any type; others not the blocked ones. */
  checkType(actor: AuthenticatedUser, filename: string): void {
    if (isBlockedType(filename) && !hasRole(actor, 'ADMINISTRATOR')) {
      throw new DeployRError(
        900,
        `File type '.${extensionOf(filename)}' is forbidden in the repository (${BLOCKED_EXTENSIONS.join(', ')} files may only be stored by administrators)`,
      );
    }
  }

  // ---------------------------------------------------------------------------- reading

  /** The file (or one of its versions) `viewer` may see, by filename, author, directory. */
  async resolve(viewer: AuthenticatedUser | undefined, ref: FileRef): Promise<RepoEntry> {
    checkFilename(ref.filename);
    const directory = ref.directory ?? ROOT;
    if (isExternal(directory)) return this.resolveExternal(viewer, { ...ref, directory });
    checkDirectoryName(directory);
    const author = ref.author ?? viewer?.username;
    if (!author) throw notFound(ref);
    const row = await model.findByAuthorName(this.db, author, directory, ref.filename);
    if (!row || !canSee(viewer, row)) throw notFound({ ...ref, author });
    if (!ref.version) return entryOf(row, viewer?.username);
    const version = await model.findVersion(this.db, row.id, ref.version);
    if (!version) throw notFound({ ...ref, author });
    return versionEntryOf(row, version, viewer?.username);
  }

  private async resolveExternal(viewer: AuthenticatedUser | undefined, ref: FileRef & { directory: string }): Promise<RepoEntry> {
    const dir = parseExternalDirectory(ref.directory, viewer?.username);
    const entry = ref.version || (ref.author && ref.author !== dir.owner) ? undefined : await this.external.find(dir, ref.filename);
    if (!entry || !canSee(viewer, entry)) throw notFound(ref);
    return entry;
  }

  /** The content of an entry, streamed. */
  open(entry: RepoEntry): Readable {
    return entry.source.kind === 'blob' ? this.blobs.open(entry.source.blobId) : fs.createReadStream(entry.source.path);
  }

  /** A file's working copy (version null) followed by its earlier versions, newest first. */
  async versions(actor: AuthenticatedUser, filename: string, directory: string | undefined): Promise<RepoEntry[]> {
    const dir = this.userDirectory(directory);
    const row = await model.findAuthored(this.db, actor.id, dir, checkFilename(filename));
    if (!row) throw notFound({ filename, directory: dir });
    const versions = await model.listVersions(this.db, row.id);
    return [entryOf(row, actor.username), ...versions.map((v) => versionEntryOf(row, v, actor.username))];
  }

  /**
   * Files other users let `viewer` see, by access level: `shared` adds Restricted and Shared
   * files, `published` adds Public ones. Anonymous callers get published files only.
   */
  async othersVisible(viewer: AuthenticatedUser | undefined, opts: { shared?: boolean; published?: boolean }): Promise<RepoEntry[]> {
    const shared = !!viewer && !!opts.shared;
    const published = !!opts.published;
    const rows = await model.listOthersVisible(this.db, viewer?.id, { shared, published });
    return rows
      .filter((row) => canSee(viewer, row))
      .filter((row) => {
        const level = accessOf(row);
        return level === 'Public' ? published : shared;
      })
      .map((row) => entryOf(row, viewer?.username));
  }

  /** `/r/repository/file/list` without a filename. */
  async list(viewer: AuthenticatedUser, opts: ListOptions): Promise<RepoEntry[]> {
    // An external: directory names the external repository even without external=true.
    if (opts.external || (opts.directory !== undefined && isExternal(opts.directory))) return this.listExternal(viewer, opts);
    let own: FileRow[];
    let others: RepoEntry[] = [];
    if (opts.directory !== undefined) {
      const dir = checkDirectoryName(opts.directory);
      await this.requireDirectory(viewer, dir);
      own = await model.listAuthored(this.db, viewer.id, { directory: dir });
    } else {
      own = await model.listAuthored(this.db, viewer.id, { archived: opts.archived });
      others = await this.othersVisible(viewer, opts);
    }
    return [...own.map((r) => entryOf(r, viewer.username)), ...others].filter((e) => !opts.category || e.category === opts.category);
  }

  /** External files: the caller's own areas, plus others' shared/public areas when asked. */
  async listExternal(viewer: AuthenticatedUser, opts: ListOptions): Promise<RepoEntry[]> {
    let entries: RepoEntry[];
    if (opts.directory !== undefined) {
      if (!isExternal(opts.directory)) throw new DeployRError(400, `Bad Request: with external=true the directory must be an external: directory`);
      const dir = parseExternalDirectory(opts.directory, viewer.username);
      if (!(await this.external.directoryExists(dir))) throw directoryNotFound(opts.directory);
      entries = await this.external.files(dir);
    } else {
      const areas: { area: ExternalArea; owners: 'all' | string[] }[] = [
        { area: 'private', owners: [viewer.username] },
        { area: 'shared', owners: opts.shared ? 'all' : [viewer.username] },
        { area: 'public', owners: opts.published ? 'all' : [viewer.username] },
      ];
      entries = (await this.external.filesOf(areas)).flatMap((d) => d.files);
    }
    return entries.filter((e) => canSee(viewer, e)).filter((e) => !opts.category || e.category === opts.category);
  }

  /**
   * `/r/repository/script/list`: scripts (`.R`/`.r`). Anonymous callers see every published
   * script; with `filename` an authenticated caller gets the versions of their script.
   */
  async listScripts(viewer: AuthenticatedUser | undefined, opts: ListOptions & { filename?: string }): Promise<RepoEntry[]> {
    const scripts = (entries: RepoEntry[]): RepoEntry[] => entries.filter((e) => e.category === 'script' && (!opts.filename || e.filename === opts.filename));
    if (!viewer) return scripts(await this.othersVisible(undefined, { published: true }));
    if (opts.filename && !opts.external) {
      if (categoryOf(opts.filename) !== 'script') throw notFound({ filename: opts.filename, directory: opts.directory });
      return this.versions(viewer, opts.filename, opts.directory);
    }
    return scripts(await this.list(viewer, { ...opts, category: 'script' }));
  }

  /** A unified diff of a version against the working copy (text files only). */
  async diff(viewer: AuthenticatedUser, ref: FileRef & { version: string }): Promise<string> {
    const older = await this.resolve(viewer, ref);
    const current = await this.resolve(viewer, { ...ref, author: older.author, version: undefined });
    const [a, b] = await Promise.all([this.readText(older), this.readText(current)]);
    return createTwoFilesPatch(`${current.filename} (version ${ref.version})`, `${current.filename} (working copy)`, a, b, '', '');
  }

  private async readText(entry: RepoEntry): Promise<string> {
    if (entry.source.kind !== 'blob') throw new DeployRError(900, 'External repository files have no versions to diff');
    const bytes = await this.blobs.read(entry.source.blobId, this.limits.maxDiffBytes);
    if (!entry.type.startsWith('text/') || bytes.includes(0)) throw new DeployRError(900, `Repository file '${printable(entry.filename)}' is not a text file; diff works on text files only`);
    return bytes.toString('utf8');
  }

  // ---------------------------------------------------------------------------- writing

  /** Stores content as a new file, a replaced working copy, or (newversion) a new version. */
  async store(actor: AuthenticatedUser, input: StoreInput, content: () => ContentChunks): Promise<RepoEntry> {
    const filename = checkFilename(input.filename);
    const directory = this.userDirectory(input.directory);
    this.checkType(actor, filename);
    await this.requireDirectory(actor, directory);
    const id = await this.change(async (c) => {
      const blob = await this.blobs.write(c.trx, content, { maxBytes: this.limits.maxFileUploadSize });
      return this.storeIn(c, actor, { ...input, filename, directory }, blob);
    });
    return this.entryById(id, actor);
  }

  /** `/r/repository/file/transfer`: the URL is opened before anything is written. */
  async transfer(actor: AuthenticatedUser, input: StoreInput, url: string, signal?: AbortSignal): Promise<RepoEntry> {
    const filename = checkFilename(input.filename);
    const directory = this.userDirectory(input.directory);
    this.checkType(actor, filename);
    await this.requireDirectory(actor, directory);
    const source = await openUrl(url, { ...this.limits.transfer, maxBytes: this.limits.maxFileUploadSize }, signal);
    try {
      return await this.store(actor, { ...input, filename, directory }, () => source.chunks);
    } finally {
      source.close();
    }
  }

  /**
   * Points the caller's file at directory/filename to `blob` inside a change: a new file, or
   * the existing one with its working copy replaced, or kept as a version first (newversion).
   */
  async storeIn(c: Change, actor: AuthenticatedUser, input: StoreInput & { directory: string }, blob: StoredBlob): Promise<string> {
    await model.lockUsers(c.trx, [actor.id]);
    const existing = await model.findAuthored(c.trx, actor.id, input.directory, input.filename);
    const props = propertyChanges(input);
    if (!existing) {
      return model.insertFile(c.trx, {
        owner_id: actor.id,
        directory: input.directory,
        filename: input.filename,
        blob_id: blob.id,
        length: blob.length,
        content_type: contentTypeOf(input.filename),
        versionmsg: input.newversion ? (input.newversionmsg ?? null) : null,
        descr: input.descr ?? null,
        tags: input.tags ?? null,
        inputs: input.inputs ?? null,
        outputs: input.outputs ?? null,
        latest_by: actor.id,
        ...controlsFrom(input),
      });
    }
    if (input.newversion) await model.snapshotWorkingCopy(c.trx, existing.id, newVersionId());
    else c.released.push(existing.blob_id);
    await model.updateFile(c.trx, existing.id, {
      ...props,
      blob_id: blob.id,
      length: blob.length,
      content_type: contentTypeOf(input.filename),
      latest_by: actor.id,
      modified_at: new Date(),
      ...(input.newversion ? { versionmsg: input.newversionmsg ?? null } : {}),
    });
    return existing.id;
  }

  /** The caller's own file, for changes. */
  async authored(actor: AuthenticatedUser, filename: string, directory: string | undefined): Promise<FileRow> {
    const dir = this.userDirectory(directory);
    const row = await model.findAuthored(this.db, actor.id, dir, checkFilename(filename));
    if (!row) throw notFound({ filename, directory: dir });
    return row;
  }

  async entryById(id: string, viewer: AuthenticatedUser): Promise<RepoEntry> {
    const row = await model.findById(this.db, id);
    if (!row) throw new DeployRError(900, 'Repository file was removed meanwhile');
    return entryOf(row, viewer.username);
  }

  /** `/r/repository/file/update`: properties and access controls, not content. */
  async update(actor: AuthenticatedUser, ref: { filename: string; directory?: string }, props: FileProperties): Promise<RepoEntry> {
    const row = await this.authored(actor, ref.filename, ref.directory);
    const changes = propertyChanges(props);
    if (Object.keys(changes).length > 0) await model.updateFile(this.db, row.id, changes);
    return this.entryById(row.id, actor);
  }

  /** `/r/repository/file/revert`: a version's content and properties become the working copy. */
  async revert(actor: AuthenticatedUser, input: StoreInput & { version: string }): Promise<RepoEntry> {
    const row = await this.authored(actor, input.filename, input.directory);
    const version = await model.findVersion(this.db, row.id, input.version);
    if (!version) throw notFound({ filename: row.filename, directory: row.directory, version: input.version });
    await this.change(async (c) => {
      await model.lockUsers(c.trx, [actor.id]);
      if (input.newversion) await model.snapshotWorkingCopy(c.trx, row.id, newVersionId());
      else c.released.push(row.blob_id);
      await model.updateFile(c.trx, row.id, {
        blob_id: version.blob_id,
        length: Number(version.length),
        content_type: version.content_type,
        versionmsg: input.newversion ? (input.newversionmsg ?? `Reverted to version ${version.version}.`) : version.versionmsg,
        descr: version.descr,
        tags: version.tags,
        inputs: version.inputs,
        outputs: version.outputs,
        latest_by: actor.id,
        modified_at: new Date(),
        ...propertyChanges(input),
      });
    });
    return this.entryById(row.id, actor);
  }

  /**
   * `/r/repository/file/grant`: adds and removes authors. Revoking every author (the caller
   * included) deletes the file, as the last author's delete does.
   */
  async grant(actor: AuthenticatedUser, ref: { filename: string; directory?: string }, grant: readonly string[], revoke: readonly string[]): Promise<RepoEntry> {
    const row = await this.authored(actor, ref.filename, ref.directory);
    const ids = await model.userIdsByName(this.db, [...grant, ...revoke]);
    const unknown = [...grant, ...revoke].filter((name) => !ids.has(name));
    if (unknown.length > 0) throw new DeployRError(900, `No such user: ${unknown.map(printable).join(', ')}`);
    const grantIds = grant.map((name) => ids.get(name)!);
    await this.change(async (c) => {
      await model.lockUsers(c.trx, [actor.id, ...grantIds]);
      for (const [i, userId] of grantIds.entries()) {
        const clash = await model.findAuthored(c.trx, userId, row.directory, row.filename);
        if (clash && clash.id !== row.id) {
          throw new DeployRError(900, `User '${printable(grant[i]!)}' already has a file '${printable(row.filename)}' in directory '${printable(row.directory)}'`);
        }
        await model.addAuthor(c.trx, row.id, userId);
      }
      for (const name of revoke) await model.removeAuthor(c.trx, row.id, ids.get(name)!);
      if ((await model.authorCount(c.trx, row.id)) === 0) await this.removeFile(c, row.id);
    });
    const after = await model.findById(this.db, row.id);
    return entryOf(after ?? { ...row, authors: [] }, actor.username);
  }

  /** Deletes a file for the caller: the last author's delete removes it, others only step back. */
  async deleteIn(c: Change, actor: AuthenticatedUser, row: FileRow): Promise<void> {
    if (row.authors.length > 1) await model.removeAuthor(c.trx, row.id, actor.id);
    else await this.removeFile(c, row.id);
  }

  private async removeFile(c: Change, fileId: string): Promise<void> {
    c.released.push(...(await model.blobIdsOf(c.trx, fileId)));
    await model.deleteFile(c.trx, fileId);
  }

  /** `/r/repository/file/delete`: every named file must exist, then all go in one change. */
  async delete(actor: AuthenticatedUser, refs: readonly { filename: string; directory?: string }[]): Promise<void> {
    const rows: FileRow[] = [];
    for (const ref of refs) rows.push(await this.authored(actor, ref.filename, ref.directory));
    await this.change(async (c) => {
      await model.lockUsers(c.trx, [actor.id]);
      for (const row of rows) await this.deleteIn(c, actor, row);
    });
  }

  /**
   * Copies a file's working copy (or a version) into `destination` as the caller's file named
   * `target`: a new file, or a new version of the file already there.
   */
  async copyIn(c: Change, actor: AuthenticatedUser, source: { row: FileRow; version?: string }, destination: string, target: string): Promise<void> {
    this.checkType(actor, target);
    const v = source.version ? await model.findVersion(c.trx, source.row.id, source.version) : undefined;
    if (source.version && !v) throw notFound({ filename: source.row.filename, directory: source.row.directory, version: source.version });
    const from = v ?? source.row;
    await this.storeIn(
      c,
      actor,
      {
        filename: target,
        directory: destination,
        descr: from.descr ?? undefined,
        tags: from.tags ?? undefined,
        inputs: from.inputs ?? undefined,
        outputs: from.outputs ?? undefined,
        newversion: true,
        newversionmsg: `File copied from ${source.row.directory} directory.`,
      },
      { id: String(from.blob_id), sha256: from.sha256, length: Number(from.length) },
    );
  }

  /**
   * Moves files into `destination`. Files with several authors stay (each a warning). A name
   * already there gets the moved content as a new version, and the moved file goes.
   */
  async moveIn(c: Change, actor: AuthenticatedUser, rows: readonly FileRow[], destination: string, versionmsg?: string): Promise<string[]> {
    await model.lockUsers(c.trx, [actor.id]);
    const warnings: string[] = [];
    for (const row of rows) {
      if (row.authors.length > 1) {
        warnings.push(`File '${row.filename}' in directory '${row.directory}' has more than one author (${row.authors.join(', ')}) and was not moved.`);
        continue;
      }
      if (row.directory === destination) continue;
      const clash = await model.findAuthored(c.trx, actor.id, destination, row.filename);
      if (!clash) {
        await model.updateFile(c.trx, row.id, { directory: destination, ...(versionmsg ? { versionmsg } : {}) });
        continue;
      }
      await model.snapshotWorkingCopy(c.trx, clash.id, newVersionId());
      await model.updateFile(c.trx, clash.id, {
        blob_id: row.blob_id,
        length: Number(row.length),
        content_type: row.content_type,
        versionmsg: versionmsg ?? `File moved from ${row.directory} directory.`,
        descr: row.descr,
        tags: row.tags,
        inputs: row.inputs,
        outputs: row.outputs,
        latest_by: actor.id,
        modified_at: new Date(),
      });
      await this.removeFile(c, row.id);
    }
    return warnings;
  }

  /** `/r/repository/file/copy`. */
  async copy(actor: AuthenticatedUser, items: readonly { filename: string; directory?: string; version?: string; rename?: string }[], destination: string): Promise<void> {
    const dest = this.userDirectory(destination);
    await this.requireDirectory(actor, dest);
    const sources: { row: FileRow; version?: string; target: string }[] = [];
    for (const item of items) {
      const target = checkFilename(item.rename ?? item.filename);
      sources.push({ row: await this.authored(actor, item.filename, item.directory), version: item.version, target });
    }
    await this.change(async (c) => {
      for (const s of sources) await this.copyIn(c, actor, s, dest, s.target);
    });
  }

  /** `/r/repository/file/move`: returns the warnings for files that stayed. */
  async move(actor: AuthenticatedUser, items: readonly { filename: string; directory?: string }[], destination: string): Promise<string[]> {
    const dest = this.userDirectory(destination);
    await this.requireDirectory(actor, dest);
    const rows: FileRow[] = [];
    for (const item of items) rows.push(await this.authored(actor, item.filename, item.directory));
    return this.change((c) => this.moveIn(c, actor, rows, dest));
  }

  /** The external directory names of a user's own areas (for directory/list). */
  async externalUserDirectories(user: AuthenticatedUser): Promise<string[]> {
    const out: string[] = [];
    for (const area of ['private', 'shared', 'public'] as const) {
      for (const d of await this.external.directories(area, user.username)) out.push(formatExternalDirectory(d));
    }
    return out;
  }
}

/** Column changes for the properties a call gave (access controls as one level). */
function propertyChanges(input: FileProperties): FileChanges {
  const changes: FileChanges = {};
  if (input.descr !== undefined) changes.descr = input.descr;
  if (input.tags !== undefined) changes.tags = input.tags;
  if (input.inputs !== undefined) changes.inputs = input.inputs;
  if (input.outputs !== undefined) changes.outputs = input.outputs;
  if (hasAccessInput(input)) Object.assign(changes, controlsFrom(input));
  return changes;
}
