/**
 * Repository directories: each user's root (always there, never removed), custom directories
 * and archived (`*.archive`) ones, plus the virtual system directories Restricted, Shared and
 * Public that directory/list fills with other users' files.
 */
import type { Readable } from 'node:stream';
import * as model from '../../../models/repository-files';
import type { FileRow } from '../../../models/repository-files';
import type { Db } from '../../db/knex';
import { DeployRError } from '../../rpc/errors';
import type { AuthenticatedUser } from '../users';
import { canSee, type AccessInput } from './access';
import { entryOf, type RepoEntry } from './entry';
import { formatExternalDirectory, parseExternalDirectory } from './external';
import { directoryNotFound, notFound, type FileProperties, type RepositoryFiles } from './files';
import { ARCHIVE_SUFFIX, checkDirectoryName, checkFilename, isArchived, isExternal, printable, ROOT, type Category } from './names';
import { forEachZipEntry, zipStream, type ZipLimits } from './zip';

export interface DirectoryListing {
  directory: string;
  files: RepoEntry[];
}

export interface DirectoryList {
  user: DirectoryListing[];
  system: DirectoryListing[];
  metadata: { custom: string[]; archived: string[] };
}

export interface DirectoryListOptions {
  archived?: boolean;
  userfiles?: boolean;
  directory?: string;
  shared?: boolean;
  published?: boolean;
  category?: Category;
  external?: boolean;
}

/** A directory a call created or renamed, as `repository.directory` shows it. */
export interface DirectoryResult {
  directory: string;
  owner: string;
  warnings: string[];
}

/** root first, then custom directories, then archived ones, each alphabetically. */
function directoryOrder(a: string, b: string): number {
  const rank = (d: string): number => (d === ROOT ? 0 : isArchived(d) ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function byDirectory(entries: readonly RepoEntry[]): Map<string, RepoEntry[]> {
  const out = new Map<string, RepoEntry[]>();
  for (const e of entries) {
    const list = out.get(e.directory) ?? [];
    list.push(e);
    out.set(e.directory, list);
  }
  return out;
}

export class RepositoryDirectories {
  constructor(
    private readonly db: Db,
    private readonly files: RepositoryFiles,
    private readonly zipLimits: ZipLimits,
  ) {}

  /** The caller's directory names: root, recorded ones, and those holding files they author. */
  async names(user: AuthenticatedUser): Promise<string[]> {
    const names = new Set([ROOT, ...(await model.listDirectoryNames(this.db, user.id)), ...(await model.authoredDirectoryNames(this.db, user.id))]);
    return Array.from(names).sort(directoryOrder);
  }

  /** `/r/repository/directory/list`. */
  async list(user: AuthenticatedUser, opts: DirectoryListOptions): Promise<DirectoryList> {
    if (opts.external || (opts.directory !== undefined && isExternal(opts.directory))) return this.listExternal(user, opts);
    const all = await this.names(user);
    if (opts.directory !== undefined) {
      checkDirectoryName(opts.directory);
      if (!all.includes(opts.directory)) throw directoryNotFound(opts.directory);
    }
    const shown = all.filter((d) => opts.archived || !isArchived(d) || d === opts.directory);
    let rows: FileRow[] = [];
    if (opts.directory !== undefined) rows = await model.listAuthored(this.db, user.id, { directory: opts.directory });
    else if (opts.userfiles) rows = await model.listAuthored(this.db, user.id, { archived: true });
    const keep = (e: RepoEntry): boolean => !opts.category || e.category === opts.category;
    const files = byDirectory(rows.map((r) => entryOf(r, user.username)).filter(keep));
    const others = (await this.files.othersVisible(user, opts)).filter(keep);
    return {
      user: shown.map((directory) => ({ directory, files: files.get(directory) ?? [] })),
      system: [
        { directory: 'Restricted', files: others.filter((e) => e.access === 'Restricted') },
        { directory: 'Shared', files: others.filter((e) => e.access === 'Shared') },
        { directory: 'Public', files: others.filter((e) => e.access === 'Public') },
      ],
      metadata: { custom: all.filter((d) => !isArchived(d)), archived: all.filter(isArchived) },
    };
  }

  /** The external repository's tree: the caller's areas as user directories, others' as system. */
  private async listExternal(user: AuthenticatedUser, opts: DirectoryListOptions): Promise<DirectoryList> {
    const names = await this.files.externalUserDirectories(user);
    let only: string | undefined;
    if (opts.directory !== undefined) {
      const dir = parseExternalDirectory(opts.directory, user.username);
      if (dir.owner !== user.username || !(await this.files.external.directoryExists(dir))) throw directoryNotFound(opts.directory);
      only = formatExternalDirectory(dir);
    }
    const keep = (e: RepoEntry): boolean => canSee(user, e) && (!opts.category || e.category === opts.category);
    const userDirectories: DirectoryListing[] = [];
    for (const directory of names) {
      const wanted = only !== undefined ? directory === only : !!opts.userfiles;
      const files = wanted ? (await this.files.external.files(parseExternalDirectory(directory, user.username))).filter(keep) : [];
      userDirectories.push({ directory, files });
    }
    const others = (await this.files.listExternal(user, { shared: opts.shared, published: opts.published, category: opts.category })).filter((e) => e.author !== user.username);
    return {
      user: userDirectories,
      system: [
        { directory: 'Restricted', files: [] },
        { directory: 'Shared', files: others.filter((e) => e.access === 'Shared') },
        { directory: 'Public', files: others.filter((e) => e.access === 'Public') },
      ],
      metadata: { custom: names, archived: [] },
    };
  }

  private async requireExisting(user: AuthenticatedUser, directory: string): Promise<string> {
    const dir = this.files.userDirectory(directory);
    await this.files.requireDirectory(user, dir);
    return dir;
  }

  /** The caller's files in a directory; every name asked for must be there. */
  private async filesIn(user: AuthenticatedUser, directory: string, filenames?: readonly string[]): Promise<FileRow[]> {
    filenames?.forEach(checkFilename);
    const rows = await model.listAuthored(this.db, user.id, { directory, filenames });
    const missing = (filenames ?? []).filter((f) => !rows.some((r) => r.filename === f));
    if (missing.length > 0) throw notFound({ filename: missing[0]!, directory });
    return rows;
  }

  /** `/r/repository/directory/create`. */
  async create(user: AuthenticatedUser, directory: string): Promise<DirectoryResult> {
    const dir = this.files.userDirectory(directory);
    if (dir === ROOT) throw new DeployRError(900, "The directory 'root' already exists");
    if (isArchived(dir)) throw new DeployRError(900, `Directory names ending in ${ARCHIVE_SUFFIX} are for archives (see /r/repository/directory/archive)`);
    await this.files.change(async (c) => {
      await model.lockUsers(c.trx, [user.id]);
      if ((await this.files.directoryExists(user, dir, c.trx)) || !(await model.insertDirectory(c.trx, user.id, dir))) {
        throw new DeployRError(900, `Repository directory '${printable(dir)}' already exists`);
      }
    });
    return { directory: dir, owner: user.username, warnings: [] };
  }

  /** `/r/repository/directory/rename`: files with several authors stay behind. */
  async rename(user: AuthenticatedUser, directory: string, destination: string): Promise<DirectoryResult> {
    const source = await this.requireExisting(user, directory);
    if (source === ROOT) throw new DeployRError(900, 'The root directory cannot be renamed; use /r/repository/directory/move to move its files');
    const dest = this.files.userDirectory(destination);
    if (dest === ROOT || (await this.files.directoryExists(user, dest))) throw new DeployRError(900, `Repository directory '${printable(dest)}' already exists`);
    const warnings = await this.files.change(async (c) => {
      await model.lockUsers(c.trx, [user.id]);
      await model.insertDirectory(c.trx, user.id, dest);
      const warnings = await this.files.moveIn(c, user, await model.listAuthored(c.trx, user.id, { directory: source }), dest);
      if (warnings.length === 0) await model.deleteDirectory(c.trx, user.id, source);
      return warnings;
    });
    return { directory: dest, owner: user.username, warnings };
  }

  /** `/r/repository/directory/copy`: copies land as new versions where names exist. */
  async copy(user: AuthenticatedUser, directory: string, destination: string, filenames?: readonly string[], renames?: readonly string[]): Promise<void> {
    const source = await this.requireExisting(user, directory);
    const dest = await this.requireExisting(user, destination);
    const rows = await this.filesIn(user, source, filenames);
    const targets = rows.map((row) => {
      const i = filenames ? filenames.indexOf(row.filename) : -1;
      return checkFilename(i >= 0 && renames?.[i] ? renames[i] : row.filename);
    });
    await this.files.change(async (c) => {
      for (const [i, row] of rows.entries()) await this.files.copyIn(c, user, { row }, dest, targets[i]!);
    });
  }

  /** `/r/repository/directory/move`: returns warnings for files with several authors. */
  async move(user: AuthenticatedUser, directory: string, destination: string, filenames?: readonly string[]): Promise<string[]> {
    const source = await this.requireExisting(user, directory);
    const dest = await this.requireExisting(user, destination);
    const rows = await this.filesIn(user, source, filenames);
    return this.files.change((c) => this.files.moveIn(c, user, rows, dest));
  }

  /** `/r/repository/directory/update`: access controls on the directory's files. */
  async update(user: AuthenticatedUser, directory: string, access: AccessInput, filenames?: readonly string[]): Promise<void> {
    const source = await this.requireExisting(user, directory);
    const rows = await this.filesIn(user, source, filenames);
    for (const row of rows) await this.files.update(user, row, access);
  }

  /**
   * `/r/repository/directory/archive`: moves files into `<archive>.archive` (created when
   * needed). A source left empty is removed, except root.
   */
  async archive(user: AuthenticatedUser, directory: string, archive: string | undefined, filenames?: readonly string[]): Promise<DirectoryResult> {
    const source = await this.requireExisting(user, directory);
    const name = archive ?? source;
    const target = this.files.userDirectory(isArchived(name) ? name : `${name}${ARCHIVE_SUFFIX}`);
    if (target === source) throw new DeployRError(900, `Directory '${printable(source)}' is already that archive`);
    const rows = await this.filesIn(user, source, filenames);
    const warnings = await this.files.change(async (c) => {
      await model.lockUsers(c.trx, [user.id]);
      await model.insertDirectory(c.trx, user.id, target);
      const warnings = await this.files.moveIn(c, user, rows, target, `File archived from ${source} directory.`);
      const left = await model.listAuthored(c.trx, user.id, { directory: source });
      if (left.length === 0 && source !== ROOT) await model.deleteDirectory(c.trx, user.id, source);
      return warnings;
    });
    return { directory: target, owner: user.username, warnings };
  }

  /** `/r/repository/directory/delete`: its files go (for the caller); root stays, empty. */
  async delete(user: AuthenticatedUser, directory: string): Promise<void> {
    const dir = await this.requireExisting(user, directory);
    await this.files.change(async (c) => {
      await model.lockUsers(c.trx, [user.id]);
      for (const row of await model.listAuthored(c.trx, user.id, { directory: dir })) await this.files.deleteIn(c, user, row);
      await model.deleteDirectory(c.trx, user.id, dir);
    });
  }

  /** `/r/repository/directory/upload`: every file of a zip, all or nothing. */
  async upload(user: AuthenticatedUser, zipPath: string, directory: string | undefined, props: FileProperties & { newversion?: boolean; newversionmsg?: string }): Promise<void> {
    const dir = await this.requireExisting(user, directory ?? ROOT);
    await this.files.change((c) =>
      forEachZipEntry(zipPath, this.zipLimits, async (entry) => {
        const filename = checkFilename(entry.name);
        this.files.checkType(user, filename);
        const blob = await this.files.blobs.write(c.trx, entry.content, { maxBytes: this.files.limits.maxFileUploadSize });
        await this.files.storeIn(c, user, { ...props, filename, directory: dir }, blob);
      }),
    );
  }

  /** `/r/repository/directory/download`: the directory's files (or those named) as a zip. */
  async download(user: AuthenticatedUser, directory: string, filenames?: readonly string[]): Promise<{ name: string; body: Readable }> {
    if (isExternal(directory)) throw new DeployRError(900, 'External repository directories cannot be downloaded as a zip');
    const dir = await this.requireExisting(user, directory);
    const rows = await this.filesIn(user, dir, filenames);
    const entries = rows.map((r) => entryOf(r, user.username));
    return { name: `${dir}.zip`, body: this.zipOf(entries) };
  }

  zipOf(entries: readonly RepoEntry[]): Readable {
    return zipStream(entries.map((e) => ({ name: e.filename, mtime: new Date(e.lastModified), size: e.length, open: () => this.files.open(e) })));
  }
}
