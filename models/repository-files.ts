/** SQL for repository files, their authors, their versions and user directories. */
import type { Knex } from 'knex';
import type { Runner } from './repository-blobs';

/** What a working copy and each earlier version hold: content and its description. */
interface ContentColumns {
  blob_id: string;
  content_type: string;
  versionmsg: string | null;
  descr: string | null;
  tags: string | null;
  inputs: string | null;
  outputs: string | null;
  latest_by: string;
}

/** As read: with the content hash and the last writer's name (bigint length as a string). */
interface ContentRead extends ContentColumns {
  id: string;
  sha256: string;
  length: string;
  latest_by_name: string;
  modified_at: Date;
}

interface AccessColumns {
  restricted: string | null;
  shared: boolean;
  published: boolean;
}

/** A file's working copy with what it is listed with: content hash, authors, last writer. */
export interface FileRow extends ContentRead, AccessColumns {
  owner_id: string;
  owner_name: string;
  directory: string;
  filename: string;
  authors: string[];
}

export interface VersionRow extends ContentRead {
  version: string;
  file_id: string;
}

export interface NewFile extends ContentColumns, AccessColumns {
  owner_id: string;
  directory: string;
  filename: string;
  length: number;
}

export type FileChanges = Partial<Omit<NewFile, 'owner_id'>> & { modified_at?: Date };

/** The working-copy view: one row per file with its authors (in the order they were granted). */
function files(db: Runner): Knex.QueryBuilder {
  return db('repo_files as f')
    .join('repo_blobs as b', 'b.id', 'f.blob_id')
    .join('users as lu', 'lu.id', 'f.latest_by')
    .join('users as ou', 'ou.id', 'f.owner_id')
    .select(
      'f.*',
      'b.sha256',
      'lu.username as latest_by_name',
      'ou.username as owner_name',
      db.raw(
        `ARRAY(SELECT u.username FROM repo_file_authors a JOIN users u ON u.id = a.user_id
                WHERE a.file_id = f.id ORDER BY a.granted_at, u.username) AS authors`,
      ),
    );
}

function authoredBy(q: Knex.QueryBuilder, userId: string): Knex.QueryBuilder {
  return q.whereExists(function authored(this: Knex.QueryBuilder) {
    this.select(1).from('repo_file_authors as a').whereRaw('a.file_id = f.id').andWhere('a.user_id', userId);
  });
}

function notAuthoredBy(q: Knex.QueryBuilder, userId: string): Knex.QueryBuilder {
  return q.whereNotExists(function authored(this: Knex.QueryBuilder) {
    this.select(1).from('repo_file_authors as a').whereRaw('a.file_id = f.id').andWhere('a.user_id', userId);
  });
}

const ARCHIVED_SUFFIX = '.archive';

/** The file this user authors at directory/filename. */
export async function findAuthored(db: Runner, userId: string, directory: string, filename: string): Promise<FileRow | undefined> {
  const rows = (await authoredBy(files(db), userId).where({ 'f.directory': directory, 'f.filename': filename }).limit(1)) as FileRow[];
  return rows[0];
}

export async function findById(db: Runner, id: string): Promise<FileRow | undefined> {
  const rows = (await files(db).where('f.id', id)) as FileRow[];
  return rows[0];
}

/** Files the user authors, optionally in one directory, archived directories only when asked. */
export async function listAuthored(db: Runner, userId: string, opts: { directory?: string; archived?: boolean; filenames?: readonly string[] }): Promise<FileRow[]> {
  const q = authoredBy(files(db), userId);
  if (opts.directory !== undefined) q.where('f.directory', opts.directory);
  else if (!opts.archived) q.whereNot('f.directory', 'like', `%${ARCHIVED_SUFFIX}`);
  if (opts.filenames) q.whereIn('f.filename', opts.filenames as string[]);
  return (await q.orderBy(['f.directory', 'f.filename'])) as FileRow[];
}

/**
 * Files other users shared or published, for the access model to filter: those the user does
 * not author with `shared` or `published` set. Anonymous callers (no user) get published only.
 */
export async function listOthersVisible(db: Runner, userId: string | undefined, opts: { shared: boolean; published: boolean }): Promise<FileRow[]> {
  if (!opts.shared && !opts.published) return [];
  const q = files(db);
  if (userId !== undefined) notAuthoredBy(q, userId);
  q.where((w) => {
    if (opts.shared) w.orWhere('f.shared', true);
    if (opts.published) w.orWhere('f.published', true);
  });
  return (await q.orderBy(['f.filename', 'f.id'])) as FileRow[];
}

/** Finds a file by one of its authors' usernames (the `author` parameter of reads). */
export async function findByAuthorName(db: Runner, username: string, directory: string, filename: string): Promise<FileRow | undefined> {
  const rows = (await files(db)
    .where({ 'f.directory': directory, 'f.filename': filename })
    .whereExists(function authored(this: Knex.QueryBuilder) {
      this.select(1).from('repo_file_authors as a').join('users as au', 'au.id', 'a.user_id').whereRaw('a.file_id = f.id').andWhere('au.username', username);
    })
    .limit(1)) as FileRow[];
  return rows[0];
}

export async function insertFile(trx: Runner, file: NewFile): Promise<string> {
  const [row] = await trx('repo_files')
    .insert({ ...file, length: String(file.length) })
    .returning(['id']);
  const id = String((row as { id: string }).id);
  await addAuthor(trx, id, file.owner_id);
  return id;
}

export async function updateFile(trx: Runner, id: string, changes: FileChanges): Promise<void> {
  const row: Record<string, unknown> = { ...changes };
  if (changes.length !== undefined) row.length = String(changes.length);
  await trx('repo_files').where({ id }).update(row);
}

export async function deleteFile(trx: Runner, id: string): Promise<void> {
  await trx('repo_files').where({ id }).delete();
}

export async function addAuthor(trx: Runner, fileId: string, userId: string): Promise<void> {
  await trx.raw('INSERT INTO repo_file_authors (file_id, user_id, granted_at) VALUES (?, ?, clock_timestamp()) ON CONFLICT DO NOTHING', [fileId, userId]);
}

export async function removeAuthor(trx: Runner, fileId: string, userId: string): Promise<void> {
  await trx('repo_file_authors').where({ file_id: fileId, user_id: userId }).delete();
}

export async function authorCount(trx: Runner, fileId: string): Promise<number> {
  const row = (await trx('repo_file_authors').where({ file_id: fileId }).count<{ n: string }[]>('* as n'))[0];
  return Number(row?.n ?? 0);
}

/** Blob ids a file holds (working copy and versions), so they can be collected once it goes. */
export async function blobIdsOf(trx: Runner, fileId: string): Promise<string[]> {
  const rows = (await trx.raw('SELECT blob_id FROM repo_files WHERE id = ? UNION SELECT blob_id FROM repo_versions WHERE file_id = ?', [fileId, fileId])) as {
    rows: { blob_id: string }[];
  };
  return rows.rows.map((r) => String(r.blob_id));
}

// --- versions ---

function versions(db: Runner): Knex.QueryBuilder {
  return db('repo_versions as v').join('repo_blobs as b', 'b.id', 'v.blob_id').join('users as lu', 'lu.id', 'v.latest_by').select('v.*', 'b.sha256', 'lu.username as latest_by_name');
}

/** Earlier versions, newest first. */
export async function listVersions(db: Runner, fileId: string): Promise<VersionRow[]> {
  return (await versions(db).where('v.file_id', fileId).orderBy('v.id', 'desc')) as VersionRow[];
}

export async function findVersion(db: Runner, fileId: string, version: string): Promise<VersionRow | undefined> {
  const rows = (await versions(db).where({ 'v.file_id': fileId, 'v.version': version })) as VersionRow[];
  return rows[0];
}

/** Freezes the current working copy of a file as a version. */
export async function snapshotWorkingCopy(trx: Runner, fileId: string, version: string): Promise<void> {
  await trx.raw(
    `INSERT INTO repo_versions (version, file_id, blob_id, length, content_type, versionmsg, descr, tags, inputs, outputs, latest_by, modified_at)
     SELECT ?, id, blob_id, length, content_type, versionmsg, descr, tags, inputs, outputs, latest_by, modified_at
       FROM repo_files WHERE id = ?`,
    [version, fileId],
  );
}

// --- directories ---

export async function listDirectoryNames(db: Runner, ownerId: string): Promise<string[]> {
  const rows = await db('repo_directories').where({ owner_id: ownerId }).select('name');
  return rows.map((r: { name: string }) => r.name);
}

/** Directory names that hold files the user authors (a co-author sees the file's directory). */
export async function authoredDirectoryNames(db: Runner, userId: string): Promise<string[]> {
  const rows = (await db.raw(
    `SELECT DISTINCT f.directory FROM repo_files f JOIN repo_file_authors a ON a.file_id = f.id WHERE a.user_id = ?`,
    [userId],
  )) as { rows: { directory: string }[] };
  return rows.rows.map((r) => r.directory);
}

export async function hasAuthoredFilesIn(db: Runner, userId: string, directory: string): Promise<boolean> {
  const rows = (await db.raw(
    `SELECT 1 FROM repo_files f JOIN repo_file_authors a ON a.file_id = f.id WHERE a.user_id = ? AND f.directory = ? LIMIT 1`,
    [userId, directory],
  )) as { rows: unknown[] };
  return rows.rows.length > 0;
}

export async function directoryRecordExists(db: Runner, ownerId: string, name: string): Promise<boolean> {
  return !!(await db('repo_directories').where({ owner_id: ownerId, name }).first('id'));
}

/** Creates the directory record; false when it already exists. */
export async function insertDirectory(trx: Runner, ownerId: string, name: string): Promise<boolean> {
  const result = (await trx.raw('INSERT INTO repo_directories (owner_id, name) VALUES (?, ?) ON CONFLICT (owner_id, name) DO NOTHING', [ownerId, name])) as {
    rowCount: number;
  };
  return result.rowCount > 0;
}

export async function deleteDirectory(trx: Runner, ownerId: string, name: string): Promise<void> {
  await trx('repo_directories').where({ owner_id: ownerId, name }).delete();
}

/** Serialises one user's repository changes (name uniqueness spans two tables). */
export async function lockUsers(trx: Knex.Transaction, userIds: readonly string[]): Promise<void> {
  const ids = Array.from(new Set(userIds)).sort((a, b) => Number(a) - Number(b));
  // Two-key form in our own namespace ('REPO'); ids beyond int4 share a key, which only serialises more.
  for (const id of ids) await trx.raw('SELECT pg_advisory_xact_lock(1380274255, (?::bigint % 2147483647)::int)', [id]);
}

export async function userIdsByName(db: Runner, usernames: readonly string[]): Promise<Map<string, string>> {
  if (usernames.length === 0) return new Map();
  const rows = await db('users').whereIn('username', usernames as string[]).select('id', 'username');
  return new Map(rows.map((r: { id: string; username: string }) => [r.username, String(r.id)]));
}
