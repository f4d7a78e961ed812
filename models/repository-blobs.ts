/** SQL for repository contents: content-addressed blobs stored as ~1 MB chunks. */
import type { Knex } from 'knex';
import type { Db } from '../server/db/knex';

/** A query runner: the database or a transaction. */
export type Runner = Db | Knex.Transaction;

export interface BlobRow {
  id: string;
  sha256: string | null;
  length: string;
  chunk_count: number;
}

/** A blob row that will receive chunks; its sha256 is set once the content is complete. */
export async function insertPendingBlob(trx: Runner): Promise<string> {
  const [row] = await trx<BlobRow>('repo_blobs').insert({ sha256: null }).returning(['id']);
  return String((row as { id: string }).id);
}

export async function insertChunk(trx: Runner, blobId: string, idx: number, data: Buffer): Promise<void> {
  await trx('repo_blob_chunks').insert({ blob_id: blobId, idx, data });
}

/**
 * The committed blob with this content, locked against deletion until the caller's
 * transaction ends (so a concurrent garbage collection cannot remove it under a new reference).
 */
export async function findBySha256ForShare(trx: Knex.Transaction, sha256: string): Promise<string | undefined> {
  const row = await trx<BlobRow>('repo_blobs').where({ sha256 }).forKeyShare().first('id');
  return row ? String(row.id) : undefined;
}

export async function finalize(trx: Runner, id: string, sha256: string, length: number, chunkCount: number): Promise<void> {
  await trx<BlobRow>('repo_blobs').where({ id }).update({ sha256, length: String(length), chunk_count: chunkCount });
}

export async function remove(trx: Runner, id: string): Promise<void> {
  await trx('repo_blobs').where({ id }).delete();
}

export async function find(db: Runner, id: string): Promise<BlobRow | undefined> {
  return db<BlobRow>('repo_blobs').where({ id }).first();
}

export async function readChunk(db: Runner, blobId: string, idx: number): Promise<Buffer | undefined> {
  const row = (await db('repo_blob_chunks').where({ blob_id: blobId, idx }).select('data').first()) as { data: Buffer } | undefined;
  return row?.data;
}

/**
 * Deletes the given blobs that no file or version references any more. A blob that gains a
 * reference concurrently makes the foreign key refuse the delete; the caller treats that as
 * "still in use".
 */
export async function deleteUnreferenced(db: Runner, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.raw(
    `DELETE FROM repo_blobs b
      WHERE b.id = ANY(?::bigint[])
        AND b.sha256 IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM repo_files f WHERE f.blob_id = b.id)
        AND NOT EXISTS (SELECT 1 FROM repo_versions v WHERE v.blob_id = b.id)`,
    [ids as string[]],
  );
  return (result as { rowCount: number }).rowCount;
}

/** Every committed blob no file or version references (a full sweep). */
export async function unreferencedIds(db: Runner): Promise<string[]> {
  const rows = (await db.raw(
    `SELECT b.id FROM repo_blobs b
      WHERE b.sha256 IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM repo_files f WHERE f.blob_id = b.id)
        AND NOT EXISTS (SELECT 1 FROM repo_versions v WHERE v.blob_id = b.id)`,
  )) as { rows: { id: string }[] };
  return rows.rows.map((r) => String(r.id));
}

/** Counts for tests and operations: blobs, chunks and stored bytes. */
export async function stats(db: Runner): Promise<{ blobs: number; chunks: number; bytes: number }> {
  const rows = (await db.raw(
    `SELECT (SELECT count(*) FROM repo_blobs)::int AS blobs,
            (SELECT count(*) FROM repo_blob_chunks)::int AS chunks,
            (SELECT coalesce(sum(length), 0) FROM repo_blobs)::bigint AS bytes`,
  )) as { rows: { blobs: number; chunks: number; bytes: string }[] };
  const r = rows.rows[0]!;
  return { blobs: r.blobs, chunks: r.chunks, bytes: Number(r.bytes) };
}
