/**
 * Content-addressed storage in PostgreSQL. Content streams in and out in ~1 MB chunks, so a
 * file at the upload limit never sits whole in memory; identical contents are stored once.
 *
 * Writing happens inside the caller's transaction: a failed or oversized write rolls back and
 * leaves nothing behind. Blobs no file or version references are collected after the change
 * that released them.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import * as blobs from '../../../models/repository-blobs';
import type { Runner } from '../../../models/repository-blobs';
import type { Db } from '../../db/knex';
import { DeployRError } from '../../rpc/errors';

export const CHUNK_SIZE = 1024 * 1024;

export interface StoredBlob {
  id: string;
  sha256: string;
  length: number;
}

export type ContentChunks = AsyncIterable<Buffer | Uint8Array | string>;

export interface WriteOptions {
  /** Largest content accepted, in bytes. */
  maxBytes: number;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

export function tooLarge(maxBytes: number): DeployRError {
  return new DeployRError(413, `Bad Request: content exceeds the maximum file upload size of ${maxBytes} bytes`);
}

export class BlobStore {
  constructor(private readonly db: Db) {}

  /** Streams content into a blob inside `trx` and returns it (the existing one for known content). */
  async write(trx: Knex.Transaction, open: () => ContentChunks, opts: WriteOptions): Promise<StoredBlob> {
    const id = await blobs.insertPendingBlob(trx);
    const hash = crypto.createHash('sha256');
    const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    let fill = 0;
    let index = 0;
    let total = 0;
    for await (const piece of open()) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      total += buf.length;
      if (total > opts.maxBytes) throw tooLarge(opts.maxBytes);
      hash.update(buf);
      for (let offset = 0; offset < buf.length; ) {
        const n = Math.min(CHUNK_SIZE - fill, buf.length - offset);
        buf.copy(chunk, fill, offset, offset + n);
        fill += n;
        offset += n;
        if (fill === CHUNK_SIZE) {
          await blobs.insertChunk(trx, id, index++, chunk);
          // The driver has copied the bytes into its message; the buffer can be filled again.
          fill = 0;
        }
      }
    }
    if (fill > 0) await blobs.insertChunk(trx, id, index++, chunk.subarray(0, fill));
    const sha256 = hash.digest('hex');
    return this.finalize(trx, id, sha256, total, index);
  }

  /** Names the pending blob by its hash, or drops it for the committed blob with that content. */
  private async finalize(trx: Knex.Transaction, id: string, sha256: string, length: number, chunks: number): Promise<StoredBlob> {
    const existing = await blobs.findBySha256ForShare(trx, sha256);
    if (existing) {
      await blobs.remove(trx, id);
      return { id: existing, sha256, length };
    }
    try {
      // A savepoint: another writer committing the same content first must not abort ours.
      await trx.transaction(async (sp) => blobs.finalize(sp, id, sha256, length, chunks));
      return { id, sha256, length };
    } catch (err) {
      if (pgCode(err) !== UNIQUE_VIOLATION) throw err;
      await blobs.remove(trx, id);
      const winner = await blobs.findBySha256ForShare(trx, sha256);
      if (!winner) throw err;
      return { id: winner, sha256, length };
    }
  }

  /** The content as a stream that reads one chunk at a time. */
  open(blobId: string): Readable {
    return new BlobStream(this.db, blobId);
  }

  /** The whole content, refused above `maxBytes` (for diffs of text files). */
  async read(blobId: string, maxBytes: number): Promise<Buffer> {
    const info = await blobs.find(this.db, blobId);
    if (!info) throw new DeployRError(900, 'Repository file content is missing');
    if (Number(info.length) > maxBytes) throw new DeployRError(900, `Repository file is too large (over ${maxBytes} bytes) for this call`);
    const parts: Buffer[] = [];
    for await (const part of this.open(blobId)) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  /** Deletes those of `ids` nothing references any more. */
  async collect(ids: Iterable<string>): Promise<void> {
    const unique = Array.from(new Set(ids));
    if (unique.length === 0) return;
    try {
      await blobs.deleteUnreferenced(this.db, unique);
    } catch (err) {
      // A blob gained a reference meanwhile: it is in use, nothing to collect.
      if (pgCode(err) !== FOREIGN_KEY_VIOLATION) throw err;
    }
  }

  /** A full sweep, for operations (and after crashes of older versions). */
  async collectAll(): Promise<void> {
    await this.collect(await blobs.unreferencedIds(this.db));
  }

  stats(): Promise<{ blobs: number; chunks: number; bytes: number }> {
    return blobs.stats(this.db);
  }
}

/** Reads chunk after chunk as the consumer asks: at most about one chunk in memory. */
class BlobStream extends Readable {
  private next = 0;
  private count: number | undefined;

  constructor(
    private readonly db: Runner,
    private readonly blobId: string,
  ) {
    super();
  }

  override _read(): void {
    this.readNext().then(
      (data) => this.push(data),
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private async readNext(): Promise<Buffer | null> {
    if (this.count === undefined) {
      const info = await blobs.find(this.db, this.blobId);
      if (!info) throw new Error(`blob ${this.blobId} is missing`);
      this.count = info.chunk_count;
    }
    if (this.next >= this.count) return null;
    const data = await blobs.readChunk(this.db, this.blobId, this.next);
    if (!data) throw new Error(`chunk ${this.next} of blob ${this.blobId} is missing`);
    this.next += 1;
    return data;
  }
}
